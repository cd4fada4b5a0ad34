import Fastify from 'fastify';

/** The baseline: a bare fastify that parses a JSON body and answers it, nothing else. */
const app = Fastify({ logger: false });
app.post('/echo', async (request, reply) => reply.status(201).send(request.body));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(
  `echo listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
);
