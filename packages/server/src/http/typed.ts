import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Runtime } from '../platform/runtime.ts';

/**
 * A domain's routes: a fastify plugin whose handlers get their body, params, query and
 * replies typed from the TypeBox schemas they declare (the wire contract), so no handler
 * casts what the validator has already checked.
 */
export type Routes = FastifyPluginAsyncTypebox<{ rt: Runtime }>;

/**
 * The answer of a route whose success shape is not (yet) part of the contract: serialized
 * as is. Declared so the route's reply type says so, instead of pretending to be an error.
 */
export const Unshaped = Type.Unknown();
