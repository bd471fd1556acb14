/**
 * Reads `ModelProto.metadata_props` (field 14, repeated StringStringEntryProto {key=1, value=2})
 * from an ONNX file's protobuf bytes, since onnxruntime-node does not expose custom metadata.
 * Only the top-level message is walked; other fields are skipped by wire type
 * (protobuf encoding spec: varint=0, 64-bit=1, length-delimited=2, 32-bit=5).
 *
 * @throws Error when the bytes are not a well-formed protobuf message.
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const decoder = new TextDecoder();
  const reader = new ProtoReader(bytes, 0, bytes.length);
  while (!reader.done()) {
    const { field, wireType } = reader.tag();
    if (field === 14 && wireType === 2) {
      const [start, end] = reader.lengthDelimited();
      const entry = new ProtoReader(bytes, start, end);
      let key = '',
        value = '';
      while (!entry.done()) {
        const t = entry.tag();
        if (t.wireType === 2 && (t.field === 1 || t.field === 2)) {
          const [s, e] = entry.lengthDelimited();
          const text = decoder.decode(bytes.subarray(s, e));
          if (t.field === 1) key = text;
          else value = text;
        } else entry.skip(t.wireType);
      }
      out[key] = value;
    } else reader.skip(wireType);
  }
  return out;
}

class ProtoReader {
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {}
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0,
      shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new Error('ONNX protobuf: truncated varint');
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('ONNX protobuf: varint too long');
    }
  }
  tag(): { field: number; wireType: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wireType: t % 8 };
  }
  lengthDelimited(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new Error('ONNX protobuf: field runs past the end of the message');
    this.pos += len;
    return [start, start + len];
  }
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2:
        this.lengthDelimited();
        return;
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`ONNX protobuf: unsupported wire type ${wireType}`);
    }
  }
}

/**
 * Parses the Ultralytics `names` metadata, a Python dict literal like
 * `{0: 'person', 1: 'bicycle'}`, into an array indexed by class id.
 * @returns null when the string is not of that form.
 */
export function parseUltralyticsNames(text: string | undefined): string[] | null {
  if (!text) return null;
  const names: string[] = [];
  const re = /(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) names[Number(m[1])] = m[2] ?? m[3];
  if (names.length === 0 || names.some((n) => n === undefined)) return null;
  return names;
}

/** Parses Ultralytics `imgsz` metadata such as `[320, 320]` into [height, width], or null. */
export function parseUltralyticsImgsz(text: string | undefined): [number, number] | null {
  const m = text?.match(/^\s*\[\s*(\d+)\s*,\s*(\d+)\s*\]\s*$/);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
