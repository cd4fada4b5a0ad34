import { own } from '../../own.ts';
import { positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import type { Handler } from './types.ts';

/**
 * Network configuration is out of scope for an agent (deny): addresses, links, routes, rules,
 * neighbours, tunnels, namespaces, traffic control, DNS resolvers, Wi-Fi, and the cloud's
 * firewalls, routes and security groups. Each tool is read by its own grammar so that its
 * read-only forms (`ip route show`, `nmcli con show`, `tc -s qdisc`) stay reads. Firewalls
 * (iptables, nft, ufw, firewall-cmd) are in system.ts; files (/etc/resolv.conf, /etc/hosts,
 * /etc/netplan…) are a path class (paths.ts).
 */

function change(inv: Invocation, what = `${inv.name} ${inv.argv.join(' ')}`): void {
  emit(inv.session, 'shell.net.config', what);
}

const IP_OBJECTS =
  /^(l|li|lin|link|a|ad|add|addr|addre|addres|address|r|ro|rou|rout|route|ru|rul|rule|n|ne|nei|neig|neigh|neighbor|neighbour|tu|tun|tunn|tunnel|tunt|tuntap|netns|maddr|maddress|mr|mroute|mrule|x|xfrm|l2tp|fou|gue|vrf|nexthop|nh|mptcp|macsec|sr|tcpm|tcp_metrics|token|ntable|netconf|stats|ila|nhg)$/;
const IP_READS = /^(show|sh|list|ls|lst|l|get|g|help|identify|pids|monitor)$/;
const IP_VALUED = new Set([
  '-n',
  '-netns',
  '-f',
  '-family',
  '-b',
  '-batch',
  '-rc',
  '-rcvbuf',
  '-c',
  '-color',
]);

/**
 * `ip [opts] OBJECT [COMMAND …]`: without a command, or with show/list/get, it reads; every
 * other command (add, del, change, replace, set, flush, append, …) changes the host's network.
 * `ip netns exec NS cmd` runs cmd (judged as a wrapper elsewhere: see wrappers.ts).
 */
const ip: Handler = (inv) => {
  const words: string[] = [];
  for (let i = 0; i < inv.argv.length; i++) {
    const a = inv.argv[i] as string;
    if (a.startsWith('-')) {
      if (a === '-b' || a === '-batch' || a === '-force')
        return change(inv, `ip ${inv.argv.join(' ')} (batch of commands)`);
      if (IP_VALUED.has(a)) i++;
      continue;
    }
    words.push(a);
  }
  const [object, command, ...rest] = words;
  if (object === undefined || !IP_OBJECTS.test(object)) return;
  if (command === undefined || IP_READS.test(command)) return;
  if (/^(netns)$/.test(object) && command === 'exec') return;
  if (/^(netns)$/.test(object) && /^(identify|pids)$/.test(command)) return;
  if (/^(a|ad|add|addr|addre|addres|address)$/.test(object) && /^(show|sh)$/.test(rest[0] ?? '')) return;
  change(inv);
};

/** Programs that read with no arguments or only display flags, and change something otherwise. */
const byArity: Handler = (inv) => {
  const args = positionals(inv.argv);
  if (inv.name === 'ifconfig' && args.length <= 1) return;
  if (inv.name === 'route' && !args.some((a) => /^(add|del|delete|flush|change|replace)$/.test(a))) return;
  if (inv.name === 'arp' && !inv.argv.some((a) => /^-(s|d|f|-set|-delete|-file)$/.test(a))) return;
  if (inv.name === 'iwconfig' && args.length <= 1) return;
  change(inv);
};

/** Tools with subcommands whose read verbs are listed; any other verb is a change. */
const SUBCOMMAND_READS: Record<string, RegExp> = {
  nmcli: /^(show|status|list|monitor|general|g|permissions|logging|help|wifi-list|lldp)$/,
  netplan: /^(get|info|status|help|--help)$/,
  networkctl: /^(list|status|lldp|label|cat|help)$/,
  resolvectl:
    /^(status|query|service|openpgp|tlsa|statistics|show-cache|show-server-state|monitor|log-level|help)$/,
  'systemd-resolve': /^(--status|--statistics|-q|--query)$/,
  tc: /^(show|list|ls|help|-s|-d|-j|-p)$/,
  brctl: /^(show|showmacs|showstp|help)$/,
  bridge: /^(show|help|monitor)$/,
  iw: /^(list|info|dev|phy|link|scan|station|survey|help|reg|event|--version)$/,
  wpa_cli: /^(status|list_networks|scan_results|ping|help)$/,
  ethtool: /^[^-]/,
};

/** Verbs that change, for tools whose reads are also verbs (`nmcli con show` vs `nmcli con down`). */
const CHANGE_VERBS =
  /^(up|down|add|a|modify|mod|m|delete|del|d|connect|disconnect|set|set-[a-z-]+|reload|load|import|export|off|on|hostname|reapply|edit|clone|apply|try|generate|reconfigure|renew|forcerenew|dns|domain|default-route|llmnr|mdns|dnssec|dnsovertls|nta|revert|flush-caches|reset-statistics|change|replace|link|qdisc|class|filter|action|addbr|delbr|addif|delif|stp|fdb|vlan|mdb|setageing|setbridgeprio|setfd|sethello|setmaxage|setpathcost|setportprio|radio|networking|rescan|wifi|dhcp|select_network|enable_network|disable_network|add_network|remove_network|set_network|save_config|reassociate|reconnect|-s|-K|-G|-A|-C|-L|-E|-f|-p|--change|--features|--set-ring|--pause|--coalesce|--set-channels|--change-eeprom|--flash|--set-priv-flags|-W)$/;

const subcommands: Handler = (inv) => {
  const reads = own(SUBCOMMAND_READS, inv.name);
  const words = inv.argv;
  if (words.length === 0) return;
  if (inv.name === 'resolvectl') {
    // `resolvectl dns` and `resolvectl dns eth0` show; `resolvectl dns eth0 1.1.1.1` sets.
    const [verb = '', ...rest] = positionals(words);
    if (/^(dns|domain|default-route|llmnr|mdns|dnssec|dnsovertls|nta)$/.test(verb) && rest.length <= 1)
      return;
    if (reads?.test(verb)) return;
    return change(inv);
  }
  if (inv.name === 'tc') {
    if (words.some((w) => /^(add|del|delete|change|replace|link|flush)$/.test(w))) return change(inv);
    return;
  }
  if (inv.name === 'ethtool') {
    if (words.some((w) => CHANGE_VERBS.test(w) && w.startsWith('-'))) return change(inv);
    return;
  }
  if (words.some((w) => !w.startsWith('-') && CHANGE_VERBS.test(w) && !reads?.test(w))) return change(inv);
  if (inv.name === 'netplan' && !reads?.test(words[0] ?? '')) return change(inv);
};

/** DHCP clients and `dhclient -r` (release) change the addresses of an interface. */
const dhcp: Handler = (inv) => {
  if (inv.argv.some((a) => a === '--version' || a === '-h' || a === '--help')) return;
  change(inv);
};

const SYSCTL_NET = /^(net\.|\/proc\/sys\/net\/)/;

/** `sysctl -w net.ipv4.ip_forward=1`, `sysctl net.ipv4.conf.all.rp_filter=0`. */
const sysctl: Handler = (inv) => {
  const writes = inv.argv.filter((a) => a.includes('=') && !a.startsWith('-'));
  if (writes.some((w) => SYSCTL_NET.test(w))) change(inv, `sysctl ${writes.join(' ')}`);
};

// ---------------------------------------------------------------------------------------------
// Cloud networks: firewall rules, security groups, routes, network ACLs, VPCs, DNS records.

const AWS_NETWORK =
  /^((authorize|revoke)-security-group-(ingress|egress)|(create|delete|modify|replace|update)-(security-group[a-z-]*|route|routes|route-table|network-acl[a-z-]*|vpc[a-z-]*|subnet[a-z-]*|internet-gateway|egress-only-internet-gateway|nat-gateway|vpn-[a-z-]+|transit-gateway[a-z-]*|customer-gateway|dhcp-options|managed-prefix-list|local-gateway-route[a-z-]*)|(associate|disassociate|replace)-(route-table|network-acl[a-z-]*|subnet-cidr-block|vpc-cidr-block|dhcp-options|address)|(attach|detach)-(internet-gateway|vpn-gateway)|accept-vpc-peering-connection|modify-instance-attribute|change-resource-record-sets|(create|delete|update)-(firewall[a-z-]*|rule-group)|associate-firewall-policy)$/;

const aws: Handler = (inv) => {
  const [service = '', verb = ''] = positionals(inv.argv, [
    '--profile',
    '--region',
    '--output',
    '--query',
    '--endpoint-url',
  ]);
  if (!/^(ec2|route53|network-firewall|ec2-instance-connect)$/.test(service)) return;
  if (
    verb === 'modify-instance-attribute' &&
    !inv.argv.some(
      (a) =>
        a === '--groups' || a.startsWith('--source-dest-check') || a.startsWith('--no-source-dest-check'),
    )
  )
    return;
  if (AWS_NETWORK.test(verb)) change(inv, `aws ${service} ${verb}`);
};

const gcloud: Handler = (inv) => {
  const words = positionals(inv.argv, ['--project', '--format', '--region', '--zone', '--network']);
  const joined = words.join(' ');
  if (
    /\bcompute (firewall-rules|routes|routers|networks|networks subnets|networks peerings|security-policies|vpn-tunnels|vpn-gateways|target-vpn-gateways|interconnects) (create|update|delete|add-[a-z-]+|remove-[a-z-]+|expand-ip-range|set-[a-z-]+)\b/.test(
      joined,
    ) ||
    /\bdns (record-sets|managed-zones|policies)( transaction)? (create|update|delete|add|remove|execute|import)\b/.test(
      joined,
    )
  )
    change(inv, `gcloud ${joined}`);
};

const az: Handler = (inv) => {
  const words = positionals(inv.argv, [
    '-g',
    '--resource-group',
    '-n',
    '--name',
    '--nsg-name',
    '--subscription',
    '-o',
    '--output',
    '--query',
  ]);
  if (words[0] !== 'network') return;
  const verb = words.find((w) => /^(create|update|delete|set|add|remove|reset|start|stop|import)$/.test(w));
  if (verb) change(inv, `az ${words.join(' ')}`);
};

export const NETWORK_CONFIG_HANDLERS: Record<string, Handler> = {
  ip,
  ifconfig: byArity,
  route: byArity,
  arp: byArity,
  iwconfig: byArity,
  nmcli: subcommands,
  netplan: subcommands,
  networkctl: subcommands,
  resolvectl: subcommands,
  'systemd-resolve': subcommands,
  tc: subcommands,
  brctl: subcommands,
  bridge: subcommands,
  iw: subcommands,
  wpa_cli: subcommands,
  ethtool: subcommands,
  dhclient: dhcp,
  dhcpcd: dhcp,
  udhcpc: dhcp,
  sysctl,
  aws,
  gcloud,
  az,
};
