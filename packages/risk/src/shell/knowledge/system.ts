import { hasFlag, positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import type { Handler } from './types.ts';

const SECURITY_SERVICES =
  /^(auditd|firewalld|ufw|apparmor|selinux|falco|osqueryd|wazuh-agent|ossec|crowdstrike|falcon-sensor|sysmon|aide|fail2ban|clamav-daemon|clamd|sentinelone|syslog|rsyslog|syslog-ng|systemd-journald|elastic-agent|filebeat|auditbeat|amazon-guardduty-agent|iptables|nftables|ip6tables|netfilter-persistent)(\.service)?$/;
const STOPPING = /^(stop|disable|mask|kill)$/;

/**
 * Services whose stop takes data or the host with it: databases and message stores (clients
 * lose their data path; an unclean stop can lose writes), and what keeps the host reachable and
 * running (ssh, networking, init's own daemons, the container runtime and the kubelet).
 */
const CRITICAL_SERVICES =
  /^(postgres(ql)?(@[\w.-]+|-\d+)?|mysqld?|mariadb|mongod(b)?|redis(-server)?|valkey|memcached|elasticsearch|opensearch|cassandra|etcd|kafka|zookeeper|rabbitmq(-server)?|clickhouse(-server)?|influxdb|couchdb|neo4j|minio|ssh|sshd|networking|network|NetworkManager|systemd-networkd|systemd-resolved|systemd-logind|dbus|systemd-journald|init|cron|crond|docker|containerd|kubelet|k3s|multipathd|lvm2-[\w-]+|iscsid)(\.(service|socket))?$/;

/** Processes whose death takes the host or its data with it (PID 1, init, sshd, a database). */
const CRITICAL_PROCESSES =
  /^(1|init|systemd|sshd|postgres(ql)?|postmaster|mysqld|mariadbd?|mongod|redis-server|etcd|dockerd|containerd|kubelet|java)$/;

const systemctl: Handler = (inv) => {
  const s = inv.session;
  const [verb = '', ...units] = positionals(inv.argv, [
    '-H',
    '--host',
    '-M',
    '--machine',
    '-t',
    '--type',
    '-p',
    '--property',
    '-s',
    '--signal',
    '--state',
    '-n',
    '--lines',
    '-o',
    '--output',
  ]);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (
    /^(status|show|cat|list-units|list-unit-files|list-timers|list-sockets|is-active|is-enabled|is-failed|list-dependencies|help|--version|get-default|show-environment)$/.test(
      verb,
    ) ||
    verb === ''
  )
    return;
  if (
    /^(reboot|poweroff|halt|kexec|suspend|hibernate|rescue|emergency|isolate|default|soft-reboot)$/.test(verb)
  )
    return void emit(s, 'shell.system.reboot', detail);
  if (STOPPING.test(verb) && units.some((u) => SECURITY_SERVICES.test(u)))
    return void emit(s, 'shell.evasion.security-service', detail);
  if (STOPPING.test(verb) && units.some((u) => CRITICAL_SERVICES.test(u)))
    return void emit(s, 'shell.service.stop-critical', detail);
  if (verb === 'mask')
    return void emit(s, 'shell.service.stop-critical', `${detail} (masked units cannot start again)`);
  if (
    verb === 'enable' ||
    verb === 'link' ||
    verb === 'edit' ||
    verb === 'set-property' ||
    verb === 'preset' ||
    verb === 'add-wants'
  ) {
    return void emit(s, 'shell.service.enable', detail);
  }
  emit(s, 'shell.service.control', detail);
};

const service: Handler = (inv) => {
  const [unit = '', verb = ''] = positionals(inv.argv);
  const detail = `service ${inv.argv.join(' ')}`;
  if (verb === '' || /^(status|--status-all)$/.test(verb) || unit === '--status-all') return;
  if (STOPPING.test(verb) && SECURITY_SERVICES.test(unit))
    return void emit(inv.session, 'shell.evasion.security-service', detail);
  if (STOPPING.test(verb) && CRITICAL_SERVICES.test(unit))
    return void emit(inv.session, 'shell.service.stop-critical', detail);
  emit(inv.session, 'shell.service.control', detail);
};

const power: Handler = (inv) => {
  if (inv.name === 'shutdown' && inv.argv.includes('-c')) return;
  emit(inv.session, 'shell.system.reboot', `${inv.name} ${inv.argv.join(' ')}`.trim());
};

const init: Handler = (inv) => {
  if (/^[016sS]$/.test(inv.argv[0] ?? '')) emit(inv.session, 'shell.system.reboot', `init ${inv.argv[0]}`);
};

const kill: Handler = (inv) => {
  const targets = positionals(inv.argv, ['-s', '-n', '--signal', '-u', '-U', '-g', '-G', '-P', '-t']);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (
    targets.some((t) => SECURITY_SERVICES.test(t) || /^(auditd|falcon|osquery|sysmon|wazuh)/.test(t)) ||
    inv.args.some(
      (w) =>
        w.streams.length > 0 && /auditd|falco|osquery|sysmon|wazuh|crowdstrike|falcon|sentinel/.test(w.text),
    )
  ) {
    return void emit(inv.session, 'shell.evasion.security-service', detail);
  }
  if (
    inv.name === 'kill' &&
    inv.argv.some((t) => t === '-1') &&
    inv.argv.length >= 2 &&
    inv.argv[inv.argv.length - 1] === '-1'
  )
    return void emit(inv.session, 'shell.system.reboot', detail);
  if (
    (inv.name === 'killall' || inv.name === 'pkill') &&
    inv.argv.some((a) => /^-(u|U)$/.test(a)) === false &&
    targets.length === 0
  )
    return;
  if ((inv.name === 'kill' && inv.argv.length === 1 && inv.argv[0] === '-l') || inv.argv.length === 0) return;
  const critical = targets.find((t) => CRITICAL_PROCESSES.test(t) && !(inv.name !== 'kill' && t === '1'));
  if (critical !== undefined && !notTerminating(inv.argv))
    return void emit(inv.session, 'shell.process.kill-critical', `${detail} (${critical})`);
  emit(inv.session, 'shell.process.kill', detail);
};

/**
 * Signals that ask a process to reload, report or continue rather than end (`kill -HUP 1` makes
 * init or a container's entrypoint reload its configuration; `-0` only checks that it exists).
 */
const NON_TERMINATING = /^(0|1|10|12|18|28|(SIG)?(HUP|USR1|USR2|CONT|WINCH))$/i;

function notTerminating(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-s' || a === '-n' || a === '--signal') return NON_TERMINATING.test(argv[i + 1] ?? '');
    if (a.startsWith('--signal=')) return NON_TERMINATING.test(a.slice('--signal='.length));
    if (/^-[A-Za-z0-9]+$/.test(a) && !/^-[9]$/.test(a)) {
      const signal = a.slice(1);
      if (NON_TERMINATING.test(signal)) return true;
    }
  }
  return false;
}

const crontab: Handler = (inv) => {
  const detail = `crontab ${inv.argv.join(' ')}`.trim();
  if (inv.argv.includes('-l')) return;
  if (inv.argv.includes('-r')) return void emit(inv.session, 'shell.cron.remove', detail);
  emit(inv.session, 'shell.persistence.cron', detail);
};

const at: Handler = (inv) => {
  if (inv.name === 'atq' || inv.argv.includes('-l')) return;
  emit(inv.session, 'shell.persistence.cron', `${inv.name} ${inv.argv.join(' ')}`);
};

const users: Handler = (inv) => {
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  const joined = inv.argv.join(' ');
  if (
    inv.name === 'passwd' &&
    (inv.argv.length === 0 || inv.argv.some((a) => a === '-S' || a === '--status'))
  ) {
    if (inv.argv.length === 0) emit(inv.session, 'shell.privilege.accounts', detail);
    return;
  }
  if (
    /(^|\s)-[a-zA-Z]*G\b|--groups|--append/.test(joined) &&
    /\b(sudo|wheel|admin|root|docker|adm|lxd|disk|shadow)\b/.test(joined)
  ) {
    return void emit(inv.session, 'shell.privilege.escalate', detail);
  }
  if (/(^|\s)(-o|--non-unique)(\s|$)/.test(joined) || /(^|\s)(-u|--uid)\s+0(\s|$)/.test(joined))
    return void emit(inv.session, 'shell.privilege.escalate', detail);
  emit(inv.session, 'shell.privilege.accounts', detail);
};

const setcap: Handler = (inv) => {
  if (inv.argv.includes('-r') && inv.name === 'setcap')
    return void emit(inv.session, 'shell.permissions.change', `setcap ${inv.argv.join(' ')}`);
  emit(inv.session, 'shell.privilege.setuid', `${inv.name} ${inv.argv.join(' ')}`);
};

const firewall: Handler = (inv) => {
  const s = inv.session;
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  const joined = ` ${inv.argv.join(' ')} `;
  if (inv.name === 'ufw') {
    if (/^(disable|reset)$/.test(inv.argv[0] ?? '')) return void emit(s, 'shell.evasion.firewall', detail);
    if (/^(status|show|app)$/.test(inv.argv[0] ?? '') || inv.argv.length === 0) return;
    return void emit(s, 'shell.firewall.change', detail);
  }
  if (inv.name === 'nft') {
    if (/flush ruleset|flush table|delete table/.test(joined))
      return void emit(s, 'shell.evasion.firewall', detail);
    if (/^ (list|-a list|--list)/.test(joined) || /\blist\b/.test(joined)) return;
    return void emit(s, 'shell.firewall.change', detail);
  }
  if (inv.name === 'firewall-cmd') {
    // A change unless every argument only asks (list, get, query, info, state).
    const reads = inv.argv.every((a) =>
      /^--(list|get|query|info)-|^--(state|zone=.*|permanent|version|help)$|^-h$/.test(a),
    );
    if (!reads) return void emit(s, 'shell.firewall.change', detail);
    return;
  }
  if (/ (-F|--flush|-X|--delete-chain|-Z) /.test(joined) || / (-P|--policy) \S+ ACCEPT /.test(joined))
    return void emit(s, 'shell.evasion.firewall', detail);
  if (/ (-L|--list|-S|--list-rules|-nL|-nvL|-vnL|-Ln) /.test(joined) || /-L/.test(inv.argv[0] ?? '')) return;
  if (inv.name.endsWith('-save')) return;
  if (inv.name.endsWith('-restore')) return void emit(s, 'shell.firewall.change', detail);
  emit(s, 'shell.firewall.change', detail);
};

const setenforce: Handler = (inv) => {
  if ((inv.argv[0] ?? '') === '0' || /^permissive$/i.test(inv.argv[0] ?? ''))
    emit(inv.session, 'shell.evasion.selinux', `setenforce ${inv.argv[0]}`);
  else emit(inv.session, 'shell.service.control', `setenforce ${inv.argv.join(' ')}`);
};

const auditctl: Handler = (inv) => {
  const joined = inv.argv.join(' ');
  if (/(^|\s)-D(\s|$)|-e\s*0|--reset|(^|\s)-d(\s|$)/.test(joined))
    emit(inv.session, 'shell.evasion.audit', `auditctl ${joined}`);
  else if (!/(^|\s)-[ls](\s|$)/.test(joined))
    emit(inv.session, 'shell.service.control', `auditctl ${joined}`);
};

const history: Handler = (inv) => {
  if (inv.argv.some((a) => /^-[a-z]*[cdw]/.test(a)))
    return void emit(inv.session, 'shell.evasion.history', `history ${inv.argv.join(' ')}`);
  // Command lines typed earlier carry tokens and passwords: reading them is fine, sending them out is not.
  if (inv.argv.every((a) => /^\d+$/.test(a))) return { kind: 'sensitive', what: 'shell history' };
};

/** AppArmor: unloading every profile or switching one off is turning the control off. */
const apparmor: Handler = (inv) => {
  if (inv.name === 'apparmor_parser' && !inv.argv.some((a) => a === '-R' || a === '--remove')) return;
  emit(inv.session, 'shell.evasion.security-service', `${inv.name} ${inv.argv.join(' ')}`.trim());
};

const set: Handler = (inv) => {
  const joined = inv.argv.join(' ');
  if (/\+o\s+history/.test(joined)) emit(inv.session, 'shell.evasion.history', `set ${joined}`);
};

const journalctl: Handler = (inv) => {
  if (inv.argv.some((a) => /^--(vacuum-(time|size|files)|rotate|flush|relinquish-var)/.test(a))) {
    emit(inv.session, 'shell.evasion.logs', `journalctl ${inv.argv.join(' ')}`);
  }
};

const kernel: Handler = (inv) => {
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (
    inv.name === 'sysctl' &&
    !inv.argv.some((a) => a === '-w' || a.includes('=') || a === '-p' || a === '--load')
  )
    return;
  if (
    inv.name === 'sysctl' &&
    /randomize_va_space=0|yama\.ptrace_scope=0|kptr_restrict=0|dmesg_restrict=0/.test(inv.argv.join(' '))
  )
    return void emit(inv.session, 'shell.evasion.hardening', detail);
  if (inv.name === 'modprobe' && inv.argv.some((a) => a === '-n' || a === '--dry-run' || a === '-c')) return;
  emit(inv.session, 'shell.system.kernel', detail);
};

const mount: Handler = (inv) => {
  if (inv.argv.length === 0 || inv.argv.every((a) => a.startsWith('-l') || a === '-t')) return;
  emit(inv.session, 'shell.system.mount', `${inv.name} ${inv.argv.join(' ')}`);
};

const nsenter: Handler = (inv) => {
  emit(inv.session, 'shell.privilege.escalate', `${inv.name} ${inv.argv.join(' ')}`);
};

const chattr: Handler = (inv) => {
  emit(inv.session, 'shell.permissions.change', `chattr ${inv.argv.join(' ')}`);
};

const launchctl: Handler = (inv) => {
  const verb = inv.argv[0] ?? '';
  if (/^(list|print|blame|print-disabled|version|help)$/.test(verb)) return;
  if (/^(load|bootstrap|enable|submit)$/.test(verb))
    return void emit(inv.session, 'shell.persistence.service', `launchctl ${inv.argv.join(' ')}`);
  emit(inv.session, 'shell.service.control', `launchctl ${inv.argv.join(' ')}`);
};

const touch: Handler = (inv) => {
  // Back-dating timestamps to match another file hides changes from reviewers.
  if (
    inv.argv.some(
      (a) => a === '-r' || a.startsWith('--reference') || a === '-t' || a === '-d' || a.startsWith('--date'),
    )
  ) {
    emit(inv.session, 'shell.evasion.timestomp', `touch ${inv.argv.join(' ')}`);
  }
};

const visudo: Handler = (inv) => {
  if (inv.argv.includes('-c') || inv.argv.includes('--check')) return;
  emit(inv.session, 'shell.privilege.write', `visudo ${inv.argv.join(' ')}`);
};

const sshKeys: Handler = (inv) => {
  emit(inv.session, 'shell.persistence.write', `${inv.name} installs a key in authorized_keys`);
};

const sshKeygen: Handler = (inv) => {
  if (hasFlag(inv.argv, 'lFyRLQ')) return;
  emit(inv.session, 'shell.write.file', `ssh-keygen ${inv.argv.join(' ')}`);
};

/** Credential dumping tools and keychain readers. */
const credentialTool: Handler = (inv: Invocation) => {
  const joined = inv.argv.join(' ');
  if (
    inv.name === 'security' &&
    !/(find-(generic|internet)-password|dump-keychain|export|find-certificate.*-p)/.test(joined)
  )
    return;
  if (inv.name === 'secret-tool' && !/^(lookup|search)/.test(joined)) return;
  emit(inv.session, 'shell.credential.dump', `${inv.name} ${joined}`);
};

/** Secret stores: reading a secret is credential access; listing names is not. */
const secretStore: Handler = (inv) => {
  const joined = inv.argv.join(' ');
  const detail = `${inv.name} ${joined}`;
  if (
    inv.name === 'vault' &&
    /^(kv (get|patch)|read|token create|login|print token|write .*\/creds|kv metadata get)/.test(joined)
  )
    return void emit(inv.session, 'shell.credential.dump', detail);
  if (inv.name === 'op' && /^(read|item get|document get|inject|run)/.test(joined))
    return void emit(inv.session, 'shell.credential.dump', detail);
  if (inv.name === 'pass' && inv.argv.length > 0 && !/^(ls|find|search|git)/.test(joined))
    return void emit(inv.session, 'shell.credential.dump', detail);
  if (/(^| )(delete|destroy|kv delete|kv destroy|kv metadata delete|secrets disable)( |$)/.test(joined))
    return void emit(inv.session, 'shell.cloud.delete', detail);
  if (/^(kv (put|rollback)|write|policy write|auth enable|secrets enable)/.test(joined))
    return void emit(inv.session, 'shell.cloud.iam', detail);
};

/** Packet capture sees other users' traffic, tokens included. */
const capture: Handler = (inv) => {
  emit(inv.session, 'shell.net.listen', `${inv.name} ${inv.argv.join(' ')}`);
  return { kind: 'sensitive', what: 'captured network traffic' };
};

export const SYSTEM_HANDLERS: Record<string, Handler> = {
  vault: secretStore,
  op: secretStore,
  pass: secretStore,
  tcpdump: capture,
  tshark: capture,
  ngrep: capture,
  systemctl,
  service,
  reboot: power,
  shutdown: power,
  poweroff: power,
  halt: power,
  init,
  telinit: init,
  kill,
  pkill: kill,
  killall: kill,
  crontab,
  at,
  batch: at,
  atq: at,
  useradd: users,
  adduser: users,
  userdel: users,
  deluser: users,
  usermod: users,
  groupadd: users,
  groupdel: users,
  gpasswd: users,
  passwd: users,
  chpasswd: users,
  chsh: users,
  setcap,
  iptables: firewall,
  ip6tables: firewall,
  'iptables-restore': firewall,
  'iptables-save': firewall,
  'iptables-legacy': firewall,
  nft: firewall,
  ufw: firewall,
  'firewall-cmd': firewall,
  pfctl: firewall,
  setenforce,
  'aa-teardown': apparmor,
  'aa-disable': apparmor,
  'aa-complain': apparmor,
  apparmor_parser: apparmor,
  auditctl,
  history,
  set,
  journalctl,
  sysctl: kernel,
  insmod: kernel,
  rmmod: kernel,
  modprobe: kernel,
  mount,
  umount: mount,
  nsenter,
  unshare: nsenter,
  chroot: nsenter,
  chattr,
  launchctl,
  touch,
  visudo,
  'ssh-copy-id': sshKeys,
  'ssh-keygen': sshKeygen,
  security: credentialTool,
  'secret-tool': credentialTool,
  mimikatz: credentialTool,
  lazagne: credentialTool,
  laZagne: credentialTool,
  pypykatz: credentialTool,
  unshadow: credentialTool,
  john: credentialTool,
  hashcat: credentialTool,
};
