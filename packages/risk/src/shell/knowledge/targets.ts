import type { Session } from '../context.ts';
import { emit } from '../context.ts';
import { classifyPath } from '../paths.ts';

/** Judges a file that a command writes (a redirect target, `tee`, `cp` destination, `sed -i`…). */
export function checkWriteTarget(
  session: Session,
  path: string,
  dynamic: boolean,
  detail: string,
  mode: 'write' | 'append' | 'delete' = 'write',
): void {
  if (
    /^\/proc\/sys\/kernel\/(yama|randomize_va_space|kptr_restrict|dmesg_restrict|modules_disabled)/.test(path)
  ) {
    emit(session, 'shell.evasion.hardening', detail);
    return;
  }
  if (
    /^\/var\/lib\/(mysql|postgresql|pgsql|redis|mongodb|etcd|docker|elasticsearch|cassandra|kafka|zookeeper|rabbitmq)(\/|$)/.test(
      path,
    )
  ) {
    emit(session, 'shell.rm.system-recursive', `${detail} (database or service data)`);
    return;
  }
  switch (classifyPath(path, dynamic)) {
    case 'persistence':
      emit(session, 'shell.persistence.write', detail);
      return;
    case 'privilege':
      emit(session, 'shell.privilege.write', detail);
      return;
    case 'history':
      emit(session, 'shell.evasion.history', detail);
      return;
    case 'log':
      if (mode !== 'append') emit(session, 'shell.evasion.logs', detail);
      else emit(session, 'shell.write.system', detail);
      return;
    case 'credential':
      if (/^\/etc\/(g?shadow)/.test(path)) {
        emit(session, 'shell.privilege.write', detail);
        return;
      }
      // Writing the project's own .env is a working-tree write; overwriting keys is not.
      emit(
        session,
        /(^|\/)\.env(\.[a-z]+)?$/.test(path) ? 'shell.write.file' : 'shell.credential.write',
        detail,
      );
      return;
    case 'device':
      emit(session, 'shell.disk.device-write', detail);
      return;
    case 'root':
    case 'system':
      emit(session, 'shell.write.system', detail);
      return;
    case 'tmp':
      if (!/^\/dev\//.test(path)) emit(session, 'shell.write.temp', detail);
      return;
    case 'home':
    case 'other_absolute':
    case 'parent':
      emit(session, 'shell.write.outside-project', detail);
      return;
    default:
      emit(session, 'shell.write.file', detail);
  }
}
