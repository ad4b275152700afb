// Reads a zip (a VSIX) from its central directory: the file list with sizes, and single files.
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  size: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;

interface CentralEntry extends ZipEntry {
  method: number;
  compressedSize: number;
  localHeader: number;
}

function centralEntries(zip: Buffer, file: string): CentralEntry[] {
  // The end record is in the last 22 bytes plus a comment of at most 64 KiB.
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === END_OF_CENTRAL_DIRECTORY) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    throw new Error(`${file} is not a zip file (no end of central directory)`);
  }
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) {
      throw new Error(`${file}: bad central directory entry ${i}`);
    }
    const nameLength = zip.readUInt16LE(offset + 28);
    entries.push({
      name: zip.toString("utf8", offset + 46, offset + 46 + nameLength),
      method: zip.readUInt16LE(offset + 10),
      compressedSize: zip.readUInt32LE(offset + 20),
      size: zip.readUInt32LE(offset + 24),
      localHeader: zip.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return entries;
}

/** Every file in the zip, with its uncompressed size. */
export function zipEntries(file: string): ZipEntry[] {
  return centralEntries(readFileSync(file), file).map(({ name, size }) => ({ name, size }));
}

/** The contents of one stored or deflated file in the zip. */
export function zipRead(file: string, name: string): Buffer {
  const zip = readFileSync(file);
  const entry = centralEntries(zip, file).find((e) => e.name === name);
  if (!entry) {
    throw new Error(`${file} has no ${name}`);
  }
  const local = entry.localHeader;
  const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const raw = zip.subarray(data, data + entry.compressedSize);
  return entry.method === 0 ? Buffer.from(raw) : inflateRawSync(raw);
}
