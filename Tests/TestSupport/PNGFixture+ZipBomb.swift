extension PNGFixture {
    /// A 64×64 gray PNG whose IDAT inflates to 32 MiB of zeros (about 200 KB on the wire): far more than the 4 KiB
    /// of pixels the header announces. The deflate stream is a fixed-Huffman block of a literal 0 followed by
    /// length-258, distance-1 copies (RFC 1951 §3.2.6), the usual shape of a zip bomb.
    static func zipBomb() -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file += PNGFixture.chunk("IHDR", [0, 0, 0, 64, 0, 0, 0, 64, 8, 0, 0, 0, 0])
        file += PNGFixture.chunk("IDAT", zlibZeros(32 << 20))
        file += PNGFixture.chunk("IEND", [])
        return file
    }

    /// A zlib stream that inflates to about `inflatedSize` zeros (a multiple of 258, plus one).
    static func zlibZeros(_ inflatedSize: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL
        bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        bits.writeCode(0b0011_0000, length: 8)  // literal 0
        for _ in 0..<((inflatedSize - 1) / 258) {
            bits.writeCode(0b1100_0101, length: 8)  // length code 285: 258 bytes
            bits.writeCode(0, length: 5)  // distance code 0: distance 1
        }
        bits.writeCode(0, length: 7)  // end of block
        let copied = 1 + (inflatedSize - 1) / 258 * 258
        let adler = UInt32(copied % 65521) << 16 | 1
        return [0x78, 0x01] + bits.bytes + (0..<4).reversed().map { UInt8(adler >> ($0 * 8) & 0xFF) }
    }

    /// Deflate's bit order: values LSB first, Huffman codes MSB first.
    struct BitWriter {
        var bytes: [UInt8] = []
        private var used = 0

        mutating func write(_ value: Int, count: Int) {
            for bit in 0..<count { append(value >> bit & 1) }
        }

        mutating func writeCode(_ code: Int, length: Int) {
            for bit in (0..<length).reversed() { append(code >> bit & 1) }
        }

        private mutating func append(_ bit: Int) {
            if used == 0 { bytes.append(0) }
            bytes[bytes.count - 1] |= UInt8(bit) << used
            used = (used + 1) % 8
        }
    }
}
