import { optionValues, positionals } from '../argv.ts';
import { emit } from '../context.ts';
import type { Handler } from './types.ts';

const READ =
  /^(ps|images|image ls|logs|inspect|version|info|stats|top|history|diff|events|port|search|ls|config|help|container ls|volume ls|volume inspect|network ls|network inspect|image inspect|compose ps|compose logs|compose config|compose ls|compose images|compose top|context ls|context show|system df|buildx ls)$/;

const docker: Handler = (inv) => {
  const s = inv.session;
  const words = positionals(inv.argv, [
    '-H',
    '--host',
    '--context',
    '-c',
    '--config',
    '-l',
    '--log-level',
    '-f',
    '--file',
    '-p',
    '--project-name',
    '--format',
    '--filter',
  ]);
  const compose = inv.name === 'docker-compose' ? 'compose' : undefined;
  const [first = '', second = ''] = compose ? ['compose', words[0] ?? ''] : words;
  const pair = `${first} ${second}`.trim();
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (first === '' || READ.test(first) || READ.test(pair)) return;
  const privileged =
    inv.argv.includes('--privileged') ||
    optionValues(inv.argv, '-v', '--volume').some((v) =>
      /^(\/|\/var\/run\/docker\.sock|\/etc|\/root|\/proc|\/sys|~)(:|$)/.test(v),
    ) ||
    optionValues(inv.argv, '--mount').some((v) => /source=\/(,|$)|docker\.sock/.test(v)) ||
    inv.argv.some((a) => /^--(pid|ipc|uts|userns)=host$/.test(a)) ||
    optionValues(inv.argv, '--pid', '--ipc', '--userns').includes('host') ||
    optionValues(inv.argv, '--cap-add').some((c) =>
      /^(ALL|SYS_ADMIN|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH|NET_ADMIN)$/i.test(c),
    );
  if (privileged) emit(s, 'shell.docker.privileged', detail);
  const verb =
    first === 'compose' ||
    first === 'container' ||
    first === 'image' ||
    first === 'volume' ||
    first === 'system' ||
    first === 'network' ||
    first === 'builder' ||
    first === 'buildx'
      ? pair
      : first;
  if (/prune$/.test(verb) || /^(volume|system|image|container|network|builder) prune/.test(pair)) {
    const volumes = first === 'volume' || inv.argv.includes('--volumes');
    emit(
      s,
      volumes || inv.argv.includes('-a') || inv.argv.includes('--all')
        ? 'shell.docker.prune-all'
        : 'shell.docker.prune',
      detail,
    );
    return;
  }
  if (
    verb === 'volume rm' ||
    verb === 'volume remove' ||
    (first === 'compose' && second === 'down' && inv.argv.some((a) => a === '-v' || a === '--volumes'))
  ) {
    emit(s, 'shell.docker.prune-all', detail);
    return;
  }
  if (/^(exec|container exec|compose exec)$/.test(verb)) return;
  if (
    /^(run|container run|compose run|compose up|start|restart|compose start|compose restart|container start)$/.test(
      verb,
    )
  ) {
    emit(s, 'shell.docker.run', detail);
    return;
  }
  if (
    /^(build|pull|tag|image build|image pull|image tag|compose build|compose pull|buildx build|load|save|commit)$/.test(
      verb,
    )
  ) {
    emit(s, 'shell.docker.build', detail);
    return;
  }
  if (/^(rm|rmi|kill|stop|container rm|image rm)$/.test(verb) && inv.args.some((w) => w.streams.length > 0)) {
    emit(s, 'shell.docker.prune-all', `${detail} (every container or image the substitution lists)`);
    return;
  }
  if (
    /^(rm|rmi|container rm|image rm|kill|compose rm|compose down|compose kill|network rm|stop|compose stop)$/.test(
      verb,
    )
  ) {
    emit(s, 'shell.docker.remove', detail);
    return;
  }
  if (
    verb === 'push' ||
    verb === 'image push' ||
    verb === 'compose push' ||
    (verb === 'buildx build' && inv.argv.includes('--push'))
  ) {
    emit(s, 'shell.docker.push', detail);
    return;
  }
  if (verb === 'login') {
    emit(s, 'shell.docker.login', detail);
    return;
  }
  emit(s, 'shell.docker.write', detail);
};

export const CONTAINER_HANDLERS: Record<string, Handler> = {
  docker,
  podman: docker,
  'docker-compose': docker,
  nerdctl: docker,
};
