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

  read(file: string, offset?: number, length?: number): Promise<Uint8Array> {
    this.trace.absorbDiskOp(this.node, 'read', file, offset, length);
    return this.disk.read(file, offset, length);
  }
  write(file: string, offset: number, data: Uint8Array): Promise<void> {
    this.trace.absorbDiskOp(this.node, 'write', file, offset, data.length, data);
    return this.disk.write(file, offset, data);
  }
  append(file: string, data: Uint8Array): Promise<void> {
    this.trace.absorbDiskOp(this.node, 'append', file, data.length, undefined, data);
    return this.disk.append(file, data);
  }
  truncate(file: string, size: number): Promise<void> {
    this.trace.absorbDiskOp(this.node, 'truncate', file, size);
    return this.disk.truncate(file, size);
  }
  size(file: string): Promise<number> {
    this.trace.absorbDiskOp(this.node, 'size', file);
    return this.disk.size(file);
  }
  fsync(file: string): Promise<void> {
    this.trace.absorbDiskOp(this.node, 'fsync', file);
    return this.disk.fsync(file);
  }
  list(): Promise<string[]> {
    this.trace.absorbDiskOp(this.node, 'list', '');
    return this.disk.list();
  }
  remove(file: string): Promise<void> {
    this.trace.absorbDiskOp(this.node, 'remove', file);
    return this.disk.remove(file);
  }
}
