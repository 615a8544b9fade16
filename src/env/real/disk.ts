// The real world's Disk: named files in one directory, with real fsync (fdatasync of the file,
// and fsync of the directory when a name was created or removed). File names are plain names:
// never a path, so lab code can never reach outside its node's directory. A file written once
// stays open for writing (until it is removed or the process ends), so a write and its fsync cost
// two IO calls: the write a pwrite on the event loop, the fsync a call on libuv's thread pool. It
// never defers either call once the file is open: each starts in the call that asks for it.
import { open, readdir, rm, stat, mkdir } from 'node:fs/promises';
import { close, fdatasync, fstatSync, ftruncate, open as openFd, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type { Disk } from '../types.js';
import { StorageCorrupt } from '../../storage/storage-corrupt.js';

const closeFd = promisify(close);
/**
 * A file's fsync is fdatasync(2): it makes the data durable, and the metadata a read of it needs
 * (its size after an append), but not its timestamps, which nothing here reads. On ext4 a write in
 * place (Lab 4's journal ring, the superblock copies) then needs no journal commit: three replicas
 * on one disk measured 0.45-0.6 ms per sync against 0.6-0.77 ms for fsync(2).
 */
const syncData = promisify(fdatasync);
const truncateFd = promisify(ftruncate);
const openPath = promisify(openFd);

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Throws unless `file` is a plain file name (letters, digits, '.', '_', '-'; no '/', no leading '.'). */
export function checkFileName(file: string): void {
  if (!FILE_NAME.test(file)) throw new Error(`bad file name '${file}': use letters, digits, '.', '_' and '-' only, no leading '.'`);
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The zeros preallocate() writes, a piece at a time (never written to). */
const zeros = new Uint8Array(1 << 20);

export class RealDisk implements Disk {
  /** Names created or removed since the directory was last fsynced. */
  private dirDirty = false;
  /**
   * Descriptors of the files open for writing, by name: the open's promise while it runs, then the
   * descriptor itself. Plain descriptors, not FileHandles: they live as long as the process (a
   * FileHandle left to the garbage collector warns and may throw). A write or fsync of an open file
   * starts in its call, not a job later: a primary's log fsync then reaches the thread pool before
   * its prepares leave, and not after them (the first socket write wakes a backup, which on two
   * cores often takes this core for as long as it works on the prepare, some 0.5 ms, while the
   * fsync had not yet started).
   */
  private readonly writers = new Map<string, number | Promise<number>>();

  constructor(readonly dir: string) {}

  /** Create the directory if needed. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  private path(file: string): string {
    checkFileName(file);
    return join(this.dir, file);
  }

  async read(file: string, offset = 0, length?: number): Promise<Uint8Array> {
    const path = this.path(file);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      if (isMissing(e)) return new Uint8Array(0);
      throw e;
    }
    try {
      const stats = await handle.stat();
      // A directory (or device, or fifo) where a file should be is a disk that is not this node's: refused with its path, never an EISDIR stack.
      if (!stats.isFile()) throw new StorageCorrupt(`disk file ${path} is not a regular file (${stats.isDirectory() ? 'a directory' : 'a special file'}); refusing to start on a disk that is not this node's`);
      const size = stats.size;
      const n = Math.max(0, Math.min(length ?? size, size - offset));
      const buffer = new Uint8Array(n);
      if (n > 0) await handle.read(buffer, 0, n, offset);
      return buffer;
    } finally {
      await handle.close();
    }
  }

  /**
   * A pwrite on the event loop, not on the thread pool: it copies the bytes into the page cache (what
   * waits for the device is the fsync after it), and a thread pool call costs a worker's wake-up and
   * the loop's for its completion, which took longer than the copy and sat between a log write and
   * its fsync, on the commit's critical path.
   */
  async write(file: string, offset: number, data: Uint8Array): Promise<void> {
    const kept = this.writers.get(file);
    const fd = typeof kept === 'number' ? kept : await this.writer(file);
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
  }

  /** Zeros from the file's end to `size`, written on the event loop as write() does (an fstat first: the file's own size). */
  async preallocate(file: string, size: number): Promise<void> {
    const fd = await this.writer(file);
    for (let at = fstatSync(fd).size; at < size; ) at += writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  }

  async append(file: string, data: Uint8Array): Promise<void> {
    const handle = await open(this.path(file), 'a');
    try {
      if ((await handle.stat()).size === 0) this.dirDirty = true; // maybe just created
      await handle.write(data, 0, data.length);
    } finally {
      await handle.close();
    }
  }

  async truncate(file: string, size: number): Promise<void> {
    await truncateFd(await this.writer(file), size);
  }

  async size(file: string): Promise<number> {
    try {
      return (await stat(this.path(file))).size;
    } catch (e) {
      if (isMissing(e)) return 0;
      throw e;
    }
  }

  async fsync(file: string): Promise<void> {
    const writer = this.writers.get(file);
    if (writer !== undefined) {
      await syncData(typeof writer === 'number' ? writer : await writer);
      return this.syncDir();
    }
    let handle;
    try {
      handle = await open(this.path(file), 'r');
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    try {
      await handle?.datasync();
    } finally {
      await handle?.close();
    }
    await this.syncDir();
  }

  async list(): Promise<string[]> {
    return (await readdir(this.dir)).filter((name) => FILE_NAME.test(name)).sort();
  }

  async remove(file: string): Promise<void> {
    const writer = this.writers.get(file);
    this.writers.delete(file);
    if (writer !== undefined) await closeFd(await writer);
    await rm(this.path(file), { force: true });
    this.dirDirty = true;
    await this.syncDir();
  }

  /** Instructors' disk fault: XOR `length` bytes from `offset` with random non-zero bytes, durably (fsynced). Returns how many changed. */
  async corrupt(file: string, offset: number, length: number): Promise<number> {
    const bytes = await this.read(file, offset, length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i]! ^ randomInt(1, 256);
    if (bytes.length > 0) {
      await this.write(file, offset, bytes);
      await this.fsync(file);
    }
    return bytes.length;
  }

  /** Every file with its size, for the control plane. */
  async files(): Promise<{ name: string; size: number }[]> {
    const names = await this.list();
    return Promise.all(names.map(async (name) => ({ name, size: await this.size(name) })));
  }

  /** The file's descriptor for writing, opened (and kept) on first use. */
  private writer(file: string): number | Promise<number> {
    const kept = this.writers.get(file);
    if (kept !== undefined) return kept;
    const opening = this.openForWrite(file);
    this.writers.set(file, opening);
    opening.then(
      (fd) => {
        if (this.writers.get(file) === opening) this.writers.set(file, fd);
      },
      // A failed open is tried again next time (the caller sees the error through `opening`).
      () => this.writers.get(file) === opening && this.writers.delete(file),
    );
    return opening;
  }

  /** Open for writing, creating the file (and noting the new name for the directory fsync) if needed. */
  private async openForWrite(file: string): Promise<number> {
    const path = this.path(file);
    try {
      return await openPath(path, 'r+');
    } catch (e) {
      if (!isMissing(e)) throw e;
      this.dirDirty = true;
      return openPath(path, 'w+');
    }
  }

  private async syncDir(): Promise<void> {
    if (!this.dirDirty) return;
    this.dirDirty = false;
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}
