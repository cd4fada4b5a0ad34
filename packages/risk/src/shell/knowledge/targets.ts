import type { Session } from '../context.ts';
import { emit } from '../context.ts';
import { resolveAgainstCwd } from '../cwd.ts';
import { classifyPath, isDataFile, isNetworkConfigPath } from '../paths.ts';

/** Judges a file that a command writes (a redirect target, `tee`, `cp` destination, `sed -i`…). */
export function checkWriteTarget(
  session: Session,
  path: string,
  dynamic: boolean,
  detail: string,
  mode: 'write' | 'append' | 'delete' = 'write',
): void {
  const resolved = resolveAgainstCwd(session, path);
  if (resolved.path !== path) {
    detail = `${detail} (in ${session.cwd}: ${resolved.path})`;
    path = resolved.path;
    dynamic ||= resolved.dynamic;
  }
  if (isNetworkConfigPath(path)) {
    emit(session, 'shell.net.config', detail, `writes ${path}`);
    return;
  }
  if (mode !== 'append' && isDataFile(path)) {
    emit(session, 'shell.data.clobber', detail, `overwrites the data file ${path}`);
    return;
  }
  if (
    /^\/proc\/sys\/kernel\/(yama|randomize_va_space|kptr_restrict|dmesg_restrict|modules_disabled)/.test(path)
  ) {
    emit(session, 'shell.evasion.hardening', detail);
    return;
  }
  if (/^\/var\/lib\/?$/.test(path)) {
    emit(session, 'shell.rm.system-recursive', `${detail} (database and service data)`);
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
