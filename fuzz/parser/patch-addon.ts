/**
 * Copy @jazzer.js/fuzzer's prebuilt addon and mark its GLIBC_2.38 / GLIBCXX_3.4.32 version needs
 * weak (ELF .gnu.version_r, vna_flags |= VER_FLG_WEAK), so the loader accepts it on Debian 12 when
 * shim.cc's symbols are preloaded. node_modules is never touched: the copy goes to `out`.
 * Usage: tsx fuzz/parser/patch-addon.ts <addon.node> <out.node>
 */
import { readFileSync, writeFileSync } from 'node:fs';

const SHT_GNU_VERNEED = 0x6ffffffe;
const VER_FLG_WEAK = 0x2;
const WEAKEN = new Set(['GLIBC_2.38', 'GLIBCXX_3.4.32']);

export function weakenVersionNeeds(elf: Buffer): string[] {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error('not a 64-bit little-endian ELF file');
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const section = (i: number): { type: number; offset: number; link: number; info: number } => {
    const o = shoff + i * shentsize;
    return { type: elf.readUInt32LE(o + 4), offset: Number(elf.readBigUInt64LE(o + 24)), link: elf.readUInt32LE(o + 40), info: elf.readUInt32LE(o + 44) };
  };
  const done: string[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (s.type !== SHT_GNU_VERNEED) continue;
    const strtab = section(s.link).offset;
    let p = s.offset;
    for (let n = 0; n < s.info; n++) {
      const cnt = elf.readUInt16LE(p + 2);
      let a = p + elf.readUInt32LE(p + 8);
      for (let k = 0; k < cnt; k++) {
        const nameOff = strtab + elf.readUInt32LE(a + 8);
        const name = elf.toString('latin1', nameOff, elf.indexOf(0, nameOff));
        if (WEAKEN.has(name)) {
          elf.writeUInt16LE(elf.readUInt16LE(a + 4) | VER_FLG_WEAK, a + 4);
          done.push(name);
        }
        a += elf.readUInt32LE(a + 12);
      }
      p += elf.readUInt32LE(p + 12);
    }
  }
  return done;
}

if (require.main === module) {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) throw new Error('usage: patch-addon.ts <addon.node> <out.node>');
  const elf = readFileSync(src);
  const done = weakenVersionNeeds(elf);
  writeFileSync(out, elf);
  process.stdout.write(`weakened: ${done.join(', ') || 'nothing (already loadable?)'}\n`);
}
