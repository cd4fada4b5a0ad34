import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseError } from './errors.ts';

/**
 * PGlite is one PostgreSQL backend inside this process: a second process opening the same
 * files would corrupt them. An exclusive lock file holding our pid keeps it to one; a lock
 * left by a process that no longer exists is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'gatehouse.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
