import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';

/**
 * Crypto mining: out of scope for any agent, whatever starts the miner. Recognised from what a
 * miner cannot do without: a pool URL (`stratum+tcp://`, `stratum+ssl://`, `stratum2+tcp://`)
 * anywhere in the argv, the program itself, or the container image it ships in. Checked on every
 * invocation before wrappers are unwrapped, so `nohup`, `screen -dm`, `docker run` and
 * `systemd-run` starting one are caught at the outer command as well.
 */
const STRATUM = /\bstratum\d?\+(tcp|ssl|tls|udp):\/\//i;

/** Miner programs (and the images named after them). */
const MINERS = new Set([
  'xmrig',
  'xmrig-cuda',
  'xmr-stak',
  'xmr-stak-rx',
  'minerd',
  'cpuminer',
  'cpuminer-multi',
  'cpuminer-opt',
  'cgminer',
  'bfgminer',
  'ethminer',
  'ccminer',
  't-rex',
  'trex',
  'nbminer',
  'phoenixminer',
  'lolminer',
  'gminer',
  'nanominer',
  'teamredminer',
  'srbminer',
  'srbminer-multi',
  'wildrig',
  'xmrminer',
  'kinsing',
  'nheqminer',
]);

const CONTAINER_RUNTIMES = /^(docker|podman|nerdctl|ctr|crictl|kubectl|oc)$/;

/** `xmrig/xmrig:latest`, `docker.io/minerd`, `ghcr.io/x/cpuminer-opt@sha256:…` → the image's name. */
function imageName(word: string): string {
  const path = word.replace(/^--image=/, '').replace(/[@:][^/]*$/, '');
  return path.slice(path.lastIndexOf('/') + 1).toLowerCase();
}

export function isMinerProgram(name: string): boolean {
  return MINERS.has(name.toLowerCase());
}

export function checkMining(inv: Invocation): void {
  const s = inv.session;
  // Every pool URL has `://`: the cheap test first.
  const pool = inv.argv.find((a) => a.includes('://') && STRATUM.test(a));
  if (pool) {
    emit(s, 'shell.mining', `mining pool URL in ${inv.name}: ${pool}`);
    return;
  }
  if (isMinerProgram(inv.name)) {
    emit(s, 'shell.mining', `runs the miner ${inv.name}`);
    return;
  }
  if (
    CONTAINER_RUNTIMES.test(inv.name) &&
    inv.argv.some((a) => /^(run|create|start|new|deployment|apply)$/.test(a))
  ) {
    const image = inv.argv.find((a) => isMinerProgram(imageName(a)));
    if (image) emit(s, 'shell.mining', `starts the miner image ${image}`);
  }
}
