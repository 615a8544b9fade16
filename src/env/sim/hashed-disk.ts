// The disk a simulated node's lab code sees, with every operation it asks for (and the bytes it
// writes) hashed into the trace, in order, so that the trace hash covers disk operations and not
// only messages. It never changes what the disk does, and never keeps or writes a trace line.
import type { Disk, NodeId } from '../types.js';
import type { TraceRecorder } from '../../trace/recorder.js';

export class HashedDisk implements Disk {
  constructor(
    private readonly disk: Disk,
    private readonly node: NodeId,
    private readonly trace: TraceRecorder,
  ) {}

  private op(what: string, file: string, data?: Uint8Array): void {
    this.trace.absorb(`disk ${this.node} ${what} ${file}`, data); // file names are checked: no spaces or newlines
  }

  read(file: string, offset?: number, length?: number): Promise<Uint8Array> {
    this.op(`read ${offset} ${length}`, file);
    return this.disk.read(file, offset, length);
  }
  write(file: string, offset: number, data: Uint8Array): Promise<void> {
    this.op(`write ${offset} ${data.length}`, file, data);
    return this.disk.write(file, offset, data);
  }
  append(file: string, data: Uint8Array): Promise<void> {
    this.op(`append ${data.length}`, file, data);
    return this.disk.append(file, data);
  }
  truncate(file: string, size: number): Promise<void> {
    this.op(`truncate ${size}`, file);
    return this.disk.truncate(file, size);
  }
  size(file: string): Promise<number> {
    this.op('size', file);
    return this.disk.size(file);
  }
  fsync(file: string): Promise<void> {
    this.op('fsync', file);
    return this.disk.fsync(file);
  }
  list(): Promise<string[]> {
    this.op('list', '');
    return this.disk.list();
  }
  remove(file: string): Promise<void> {
    this.op('remove', file);
    return this.disk.remove(file);
  }
}
