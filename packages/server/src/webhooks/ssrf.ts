import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';

/**
 * Server-side request forgery guard for outbound webhooks. A webhook URL is chosen by an admin,
 * but the name it points at can resolve anywhere, and can change between registration and
 * delivery (DNS rebinding): so the check runs at delivery time, inside the connection's own
 * lookup, on every address the name resolves to, and the connection goes to the address that
 * was checked. Literal addresses in the URL are checked before connecting (no lookup happens
 * for them). Redirects are never followed.
 */

export class DestinationRefused extends Error {
  override readonly name = 'DestinationRefused';
  readonly code = 'ERR_DESTINATION_REFUSED';
}

/** An IPv4 network: the first address as a 32-bit number, and the prefix length. */
type V4Net = readonly [base: number, bits: number, label: string];

const V4_BLOCKED: readonly V4Net[] = [
  [v4('0.0.0.0'), 8, 'unspecified ("this network")'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'shared (carrier-grade NAT)'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'IETF protocol assignments'],
  [v4('192.0.2.0'), 24, 'documentation'],
  [v4('192.88.99.0'), 24, '6to4 relay anycast'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'benchmarking'],
  [v4('198.51.100.0'), 24, 'documentation'],
  [v4('203.0.113.0'), 24, 'documentation'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

function v4(text: string): number {
  return text.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inV4(address: number, [base, bits]: V4Net): boolean {
  const size = 2 ** (32 - bits);
  return address >= base && address < base + size;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded dotted IPv4 tail, if any). */
function v6Groups(text: string): number[] | undefined {
  let address = text.toLowerCase();
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  // A dotted IPv4 tail (::ffff:127.0.0.1) is two groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (tail) {
    if (isIP(tail[1]!) !== 4) return undefined;
    const n = v4(tail[1]!);
    address = `${address.slice(0, -tail[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest].map((g) =>
    /^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN,
  );
  return groups.length === 8 && groups.every((g) => Number.isInteger(g)) ? groups : undefined;
}

function classifyV4(address: number): string | undefined {
  if (address === 0xffffffff) return 'broadcast';
  return V4_BLOCKED.find((net) => inV4(address, net))?.[2];
}

/**
 * Why an address must not be called (loopback, private, link-local, unique-local, …), or
 * undefined for a public unicast address. IPv6 forms that carry an IPv4 address (mapped,
 * compatible, NAT64, 6to4) are judged by the IPv4 address they carry. Anything that does not
 * parse is refused: an address this code cannot read is not one it can vouch for.
 */
export function blockedReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return classifyV4(v4(address));
  if (family !== 6) return 'not an IP address';
  const g = v6Groups(address);
  if (!g) return 'unreadable IPv6 address';
  const embedded = (hi: number, lo: number) => (hi * 65536 + lo) >>> 0;
  const zeroes = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroes(8)) return 'unspecified';
  if (zeroes(7) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated)
  if (zeroes(5) && (g[5] === 0xffff || g[5] === 0)) {
    const inner = classifyV4(embedded(g[6]!, g[7]!));
    return inner ? `IPv4-mapped ${inner}` : g[5] === 0 ? 'IPv4-compatible (deprecated)' : undefined;
  }
  // ::ffff:0:a.b.c.d (IPv4-translated)
  if (zeroes(4) && g[4] === 0xffff && g[5] === 0) {
    return `IPv4-translated ${classifyV4(embedded(g[6]!, g[7]!)) ?? 'address'}`;
  }
  // 64:ff9b::/96 (NAT64) reaches the IPv4 address it carries.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const inner = classifyV4(embedded(g[6]!, g[7]!));
    return inner ? `NAT64 ${inner}` : undefined;
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'local-use NAT64';
  // 2002::/16 (6to4) carries an IPv4 address in groups 1–2.
  if (g[0] === 0x2002) {
    const inner = classifyV4(embedded(g[1]!, g[2]!));
    return inner ? `6to4 ${inner}` : undefined;
  }
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return 'unique-local';
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0) return 'site-local (deprecated)';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (first === 0x0100 && zeroes(4)) return 'discard-only';
  if (first === 0x2001 && g[1] === 0x0db8) return 'documentation';
  if (first === 0x2001 && g[1]! < 0x0200) return 'IETF protocol assignments (Teredo, ORCHID, …)';
  if (first === 0x3fff && g[1]! < 0x1000) return 'documentation';
  // Outside 2000::/3 nothing is global unicast.
  if ((first & 0xe000) !== 0x2000) return 'reserved';
  return undefined;
}

/** Host names that mean this machine without asking DNS. */
function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return (
    name === 'localhost' || name.endsWith('.localhost') || name === 'ip6-localhost' || name === 'ip6-loopback'
  );
}

/** The URL's host as a connect target: IPv6 literals without their brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * What is wrong with a webhook URL before anything is resolved: not http(s), credentials in it
 * (they would be sent to whoever answers, and logged), or a destination that is local on its
 * face (a literal private address, `localhost`) when the endpoint may not reach private networks.
 */
export function urlProblem(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http: or https: URL';
  if (url.username || url.password) return 'must not carry credentials (user:password@)';
  if (url.hash) return 'must not have a #fragment';
  const host = hostOf(url);
  if (!host) return 'has no host';
  if (allowPrivate) return undefined;
  if (isIP(host)) {
    const reason = blockedReason(host);
    return reason ? `points at ${host} (${reason} address); allow private networks to use it` : undefined;
  }
  if (isLocalName(host)) return `points at this machine (${host}); allow private networks to use it`;
  return undefined;
}

/**
 * A `lookup` for node's http(s) requests that resolves the name, refuses the connection if any
 * address it resolves to is not public (unless allowed), and hands the checked addresses to the
 * socket: what was checked is what is connected to.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, verbatim: true, family: options.family ?? 0 }, (error, addresses) => {
      const list = (addresses ?? []) as LookupAddress[];
      if (error || list.length === 0) {
        return callback(error ?? new Error(`${hostname} does not resolve`), '', 0);
      }
      if (!allowPrivate) {
        for (const { address } of list) {
          const reason = blockedReason(address);
          if (reason) {
            return callback(
              new DestinationRefused(`${hostname} resolves to ${address} (${reason} address); refused`),
              '',
              0,
            );
          }
        }
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** Refuses a literal-address destination before connecting (node does no lookup for those). */
export function checkLiteral(host: string, allowPrivate: boolean): void {
  if (allowPrivate || !isIP(host)) return;
  const reason = blockedReason(host);
  if (reason) throw new DestinationRefused(`${host} is a non-public address (${reason}); refused`);
}
