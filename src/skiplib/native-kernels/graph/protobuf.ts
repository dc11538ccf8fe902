/**
 * The few protocol-buffer encodings a TensorFlow GraphDef and SavedModel need (varints, length-delimited fields,
 * packed floats), written by hand: the graph is small and its schema fixed, so no protobuf library is needed.
 * Wire format: https://protobuf.dev/programming-guides/encoding/.
 */

const VARINT = 0;
const FIXED32 = 5;
const LENGTH_DELIMITED = 2;

const encoder = new TextEncoder();

/** Accumulates one message's bytes; nested messages are written by a child writer and added as bytes. */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private varint(value: number | bigint): void {
    // int64 fields carry negative numbers as their 64-bit two's complement (ten bytes)
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      bytes.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** An int32/int64/enum/bool field (written even when zero: callers skip defaults themselves). */
  int(field: number, value: number | bigint | boolean): this {
    this.tag(field, VARINT);
    this.varint(typeof value === "boolean" ? (value ? 1 : 0) : value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  message(field: number, message: ProtoWriter): this {
    return this.bytes(field, message.finish());
  }

  /** A packed repeated int32/int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  /** A map<string, Message> entry (key = field 1, value = field 2), as protobuf encodes maps. */
  mapEntry(field: number, key: string, value: ProtoWriter): this {
    return this.message(field, new ProtoWriter().string(1, key).message(2, value));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}
