import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseError } from './errors.ts';

/**
 * PGlite is one PostgreSQL backend inside this process: a second process opening the same
 * files would corrupt them. An exclusive lock file holding our pid keeps it to one; a lock
 * left by a process that no longer exists is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'gatehouse.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.off('exit', release);
        try {
          unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && code in CANNOT_WRITE) {
        throw new DatabaseError(
          'ERR_DATA_DIR_UNWRITABLE',
          `data directory ${dataDir} cannot be written: ${CANNOT_WRITE[code]}; ` +
            'set GATEHOUSE_DATA_DIR to a writable directory (or DATABASE_URL to use PostgreSQL)',
          { cause: error },
        );
      }
      if (code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DatabaseError(
          'ERR_DATA_DIR_LOCKED',
          `data directory ${dataDir} is in use by another Gatehouse process (pid ${holder}); ` +
            'the embedded database allows one process at a time — stop it, or set DATABASE_URL to use PostgreSQL',
          { holderPid: holder },
        );
      }
      unlinkSync(path);
    }
  }
  throw new DatabaseError('ERR_DATA_DIR_LOCKED', `could not lock data directory ${dataDir}`);
}

/** Why a directory cannot be written, by the error the file system gave. */
const CANNOT_WRITE: Record<string, string> = {
  EROFS: 'it is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  ENOENT: 'a parent directory cannot be created',
};

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
