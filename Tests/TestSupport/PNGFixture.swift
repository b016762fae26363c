/// Writes PNG files for the tests: any colour type, bit depth and interlacing, with optional PLTE and tRNS.
///
/// The image data is stored in uncompressed deflate blocks, so the files are exactly what the samples say and
/// nothing of the kernel is used to make its own test input. `sample(x, y, channel)` gives each raw sample
/// (a palette index for palette images), 0 ..< 2^bitDepth.
struct PNGFixture {
    enum ColorType: UInt8 {
        case gray = 0
        case rgb = 2
        case palette = 3
        case grayAlpha = 4
        case rgba = 6

        var channels: Int {
            switch self {
            case .gray, .palette: 1
            case .grayAlpha: 2
            case .rgb: 3
            case .rgba: 4
            }
        }
    }

    var width: Int
    var height: Int
    var colorType: ColorType
    var bitDepth: Int
    var interlaced = false
    /// RGB triples for PLTE.
    var palette: [[UInt8]] = []
    /// The raw tRNS chunk data: alphas per palette entry, or the 2-byte gray / 6-byte RGB colour key.
    var transparency: [UInt8]?
    var sample: (_ x: Int, _ y: Int, _ channel: Int) -> Int

    /// The whole file.
    var bytes: [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = bigEndian32(width) + bigEndian32(height)
        header += [UInt8(bitDepth), colorType.rawValue, 0, 0, interlaced ? 1 : 0]
        file += Self.chunk("IHDR", header)
        if !palette.isEmpty {
            file += Self.chunk("PLTE", palette.flatMap { $0 })
        }
        if let transparency {
            file += Self.chunk("tRNS", transparency)
        }
        file += Self.chunk("IDAT", Self.zlibStored(scanlines()))
        file += Self.chunk("IEND", [])
        return file
    }

    /// The filtered (filter type 0) scanlines of every pass: one pass, or Adam7's seven.
    private func scanlines() -> [UInt8] {
        let passes: [(x: Int, y: Int, dx: Int, dy: Int)] =
            interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        var data: [UInt8] = []
        for pass in passes {
            let columns = Array(stride(from: pass.x, to: width, by: pass.dx))
            guard !columns.isEmpty else { continue }
            for y in stride(from: pass.y, to: height, by: pass.dy) {
                data.append(0)
                data += packedRow(y: y, columns: columns)
            }
        }
        return data
    }

    private func packedRow(y: Int, columns: [Int]) -> [UInt8] {
        var bytes: [UInt8] = []
        var bits = 0
        var bitCount = 0
        for x in columns {
            for channel in 0..<colorType.channels {
                let value = sample(x, y, channel)
                precondition(value >= 0 && value < 1 << bitDepth, "sample out of range for the bit depth")
                if bitDepth == 16 {
                    bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                } else {
                    bits = bits << bitDepth | value
                    bitCount += bitDepth
                    if bitCount == 8 {
                        bytes.append(UInt8(bits))
                        bits = 0
                        bitCount = 0
                    }
                }
            }
        }
        if bitCount > 0 {
            bytes.append(UInt8(bits << (8 - bitCount)))
        }
        return bytes
    }

    private func bigEndian32(_ value: Int) -> [UInt8] { Self.bigEndian32(UInt32(value)) }

    private static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        return bigEndian32(UInt32(data.count)) + typeAndData + bigEndian32(crc32(typeAndData))
    }

    /// A zlib stream of stored (uncompressed) deflate blocks.
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var stream: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            stream += [
                final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8 & 0xFF),
            ]
            stream += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return stream + bigEndian32(b << 16 | a)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 {
                crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1
            }
        }
        return ~crc
    }
}

extension PNGFixture {
    /// An 8-bit image whose pixel (x, y) is `pixel(x, y)` (1 to 4 samples, as the colour type needs).
    static func image(
        width: Int, height: Int, colorType: ColorType, pixel: @escaping (Int, Int) -> [UInt8]
    )
        -> [UInt8]
    {
        PNGFixture(width: width, height: height, colorType: colorType, bitDepth: 8) { x, y, channel in
            Int(pixel(x, y)[channel])
        }.bytes
    }
}
