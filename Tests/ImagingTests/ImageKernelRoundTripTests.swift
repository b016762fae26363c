import Testing

@testable import Imaging
@testable import TestSupport

/// Every kind of input the kernel claims to read decodes to the samples that were written, and survives being
/// written back.
@Suite struct ImageKernelRoundTripTests {
    let kernel = ImageKernel()

    /// One PNG layout and the 8-bit samples it must decode to.
    struct PNGCase: CustomTestStringConvertible, Sendable {
        var colorType: PNGFixture.ColorType
        var bitDepth: Int
        var interlaced: Bool

        var testDescription: String { "\(colorType) \(bitDepth)-bit\(interlaced ? " interlaced" : "")" }

        /// A pattern that uses the whole range of the depth and differs per channel.
        func raw(_ x: Int, _ y: Int, _ channel: Int) -> Int {
            bitDepth == 16
                ? (x * 4099 + y * 1237 + channel * 20011) % 65536
                : (x * 37 + y * 11 + channel * 101) % (1 << bitDepth)
        }

        /// The 8-bit value the kernel must produce for a raw sample.
        func expected(_ raw: Int) -> Int {
            bitDepth == 16 ? Int((Double(raw) / 257).rounded()) : raw * 255 / ((1 << bitDepth) - 1)
        }
    }

    static let pngCases: [PNGCase] =
        [1, 2, 4, 8, 16].flatMap { depth in
            [false, true].map { PNGCase(colorType: .gray, bitDepth: depth, interlaced: $0) }
        }
        + [PNGFixture.ColorType.rgb, .grayAlpha, .rgba].flatMap { type in
            [8, 16].flatMap { depth in
                [false, true].map { PNGCase(colorType: type, bitDepth: depth, interlaced: $0) }
            }
        }

    @Test(arguments: pngCases)
    func decodesPNGOfEveryColourTypeAndDepth(_ testCase: PNGCase) throws {
        // 13 x 11: odd sizes leave partial Adam7 blocks and partial bytes at depths below 8.
        let png = PNGFixture(
            width: 13, height: 11, colorType: testCase.colorType, bitDepth: testCase.bitDepth,
            interlaced: testCase.interlaced, sample: testCase.raw
        ).bytes
        let image = try kernel.decode(png)
        #expect(image.width == 13 && image.height == 11 && image.channels == testCase.colorType.channels)
        var mismatches = 0
        for y in 0..<11 {
            for x in 0..<13 {
                for channel in 0..<image.channels {
                    let want = testCase.expected(testCase.raw(x, y, channel))
                    // libpng scales 16 to 8 bits as (v * 255 + 32895) >> 16: within 1 of v / 257 rounded.
                    if abs(Int(image[x, y][image[x, y].startIndex + channel]) - want)
                        > (testCase.bitDepth == 16 ? 1 : 0)
                    {
                        mismatches += 1
                    }
                }
            }
        }
        #expect(mismatches == 0)

        // Written back as PNG (8-bit, same layout) and read again: the same pixels.
        let written = try kernel.process(png, options: ProcessingOptions(operations: [], format: .png))
        #expect(written.info == ImageInfo(format: .png, width: 13, height: 11))
        #expect(try kernel.decode(written.bytes) == image)
    }

    @Test(arguments: [1, 2, 4, 8])
    func decodesPaletteWithTransparency(bitDepth: Int) throws {
        let entries = 1 << bitDepth
        let palette = (0..<entries).map {
            [UInt8($0 * 255 / (entries - 1)), UInt8(255 - $0 * 255 / (entries - 1)), 77]
        }
        // tRNS shorter than the palette: entries past its end are opaque.
        let alphas = (0..<max(1, entries / 2)).map { UInt8($0 * 40 % 256) }
        let index = { (x: Int, y: Int) in (x + 3 * y) % entries }
        let png = PNGFixture(
            width: 9, height: 7, colorType: .palette, bitDepth: bitDepth, interlaced: bitDepth == 4,
            palette: palette,
            transparency: alphas, sample: { x, y, _ in index(x, y) }
        ).bytes
        let image = try kernel.decode(png)
        #expect(image.channels == 4)
        for y in 0..<7 {
            for x in 0..<9 {
                let entry = index(x, y)
                let alpha = entry < alphas.count ? alphas[entry] : 255
                #expect(Array(image[x, y]) == palette[entry] + [alpha], "pixel \(x), \(y)")
            }
        }
    }

    @Test func decodesPaletteWithoutTransparencyAsRGB() throws {
        let palette: [[UInt8]] = [[10, 20, 30], [200, 100, 0], [0, 255, 128]]
        let png = PNGFixture(
            width: 5, height: 4, colorType: .palette, bitDepth: 2, palette: palette,
            sample: { x, y, _ in (x + y) % 3 }
        ).bytes
        let image = try kernel.decode(png)
        #expect(image.channels == 3)
        #expect(Array(image[4, 3]) == palette[(4 + 3) % 3])
    }

    @Test func turnsGrayColourKeyIntoAlpha() throws {
        let png = PNGFixture(
            width: 4, height: 1, colorType: .gray, bitDepth: 8, transparency: [0, 50], sample: { x, _, _ in x * 50 }
        ).bytes
        let image = try kernel.decode(png)
        #expect(image.channels == 2)
        #expect(image.pixels == [0, 255, 50, 0, 100, 255, 150, 255])
    }

    @Test func turnsRGBColourKeyIntoAlpha() throws {
        let png = PNGFixture(
            width: 2, height: 1, colorType: .rgb, bitDepth: 16, transparency: [0x12, 0x34, 0, 0, 0xFF, 0xFF],
            sample: { x, _, channel in x == 0 ? [0x1234, 0, 0xFFFF][channel] : 0x8080 }
        ).bytes
        let image = try kernel.decode(png)
        #expect(image.channels == 4)
        #expect(Array(image[0, 0])[3] == 0)
        #expect(Array(image[1, 0]) == [128, 128, 128, 255])
    }

    /// The 64 x 48 fixtures: quadrants red, green / blue, gray.
    static let quadrants: [(x: Int, y: Int, rgb: [Int])] = [
        (16, 12, [255, 0, 0]), (48, 12, [0, 255, 0]), (16, 36, [0, 0, 255]), (48, 36, [128, 128, 128]),
    ]

    static func expectQuadrants(_ image: DecodedImage, tolerance: Int = 4) {
        #expect(image.width == 64 && image.height == 48 && image.channels == 3)
        for quadrant in quadrants {
            let pixel = image[quadrant.x, quadrant.y].map(Int.init)
            #expect(
                zip(pixel, quadrant.rgb).allSatisfy { abs($0 - $1) <= tolerance }, "\(pixel) vs \(quadrant.rgb)")
        }
    }

    @Test(arguments: ["progressive.jpg", "cmyk.jpg", "ycck.jpg"])
    func decodesJPEGColourFixtures(name: String) throws {
        Self.expectQuadrants(try kernel.decode(try FixtureFiles.bytes(name)))
    }

    @Test func decodesGrayscaleJPEGAsOneChannel() throws {
        let image = try kernel.decode(try FixtureFiles.bytes("gray.jpg"))
        #expect(image.channels == 1)
        for x in stride(from: 4, to: 60, by: 8) {
            #expect(abs(Int(image[x, 20].first!) - 4 * x) <= 3, "column \(x)")
        }
    }

    @Test func writesAndReadsBaselineJPEG() throws {
        let png = PNGFixture.image(width: 64, height: 48, colorType: .rgb) { x, y in
            Self.quadrants[(y >= 24 ? 2 : 0) + (x >= 32 ? 1 : 0)].rgb.map(UInt8.init)
        }
        let jpeg = try kernel.process(png, options: ProcessingOptions(operations: [], format: .jpeg, quality: 95))
        #expect(jpeg.info == ImageInfo(format: .jpeg, width: 64, height: 48))
        #expect(ImageFormat(sniffing: jpeg.bytes) == .jpeg)
        Self.expectQuadrants(try kernel.decode(jpeg.bytes), tolerance: 6)
    }

    @Test func resizesEveryJPEGFixture() throws {
        for name in ["progressive.jpg", "cmyk.jpg", "ycck.jpg", "gray.jpg"] {
            let result = try kernel.process(
                try FixtureFiles.bytes(name), options: ProcessingOptions(operations: [.resize], width: 16))
            #expect(result.info == ImageInfo(format: .jpeg, width: 16, height: 12), "\(name)")
        }
    }

    @Test func grayscaleJPEGOutputHasOneComponent() throws {
        let result = try kernel.process(try FixtureFiles.bytes("progressive.jpg"), options: ProcessingOptions())
        let image = try kernel.decode(result.bytes)
        #expect(image.channels == 1)
        // Red's luma is 0.299 * 255 = 76.
        #expect(abs(Int(image[16, 12].first!) - 76) <= 4)
    }

    @Test func grayscalePNGKeepsAlpha() throws {
        let png = PNGFixture.image(width: 3, height: 2, colorType: .rgba) { x, y in
            [255, 255, 255, UInt8(x * 100 + y)]
        }
        let image = try kernel.decode(try kernel.process(png, options: ProcessingOptions()).bytes)
        #expect(image.channels == 2)
        #expect(image.pixels == [255, 0, 255, 100, 255, 200, 255, 1, 255, 101, 255, 201])
    }

    @Test func flattensAlphaOnWhiteForJPEG() throws {
        let png = PNGFixture.image(width: 16, height: 16, colorType: .rgba) { x, _ in
            x < 8 ? [255, 0, 0, 0] : [0, 0, 255, 255]
        }
        let image = try kernel.decode(
            try kernel.process(png, options: ProcessingOptions(operations: [], format: .jpeg)).bytes)
        #expect(image.channels == 3)
        #expect(image[2, 8].allSatisfy { $0 >= 245 }, "transparent becomes white")
        #expect(Array(image[13, 8])[2] >= 240 && Array(image[13, 8])[0] <= 15, "opaque blue stays blue")
    }

    @Test func outputCarriesNoMetadata() throws {
        // An APP1 "Exif" segment right after SOI, as cameras write it.
        var jpeg = try FixtureFiles.bytes("progressive.jpg")
        let exif: [UInt8] = [0xFF, 0xE1, 0x00, 0x10] + Array("Exif\0\0".utf8) + [0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8]
        jpeg.insert(contentsOf: exif, at: 2)
        #expect(try kernel.decode(jpeg).width == 64)
        let result = try kernel.process(jpeg, options: ProcessingOptions(operations: [.resize], width: 32))
        #expect(!containsSubsequence(result.bytes, Array("Exif".utf8)))
        #expect(!containsSubsequence(result.bytes, [0xFF, 0xE1]))

        let png = try kernel.process(
            jpeg, options: ProcessingOptions(operations: [.resize], width: 32, format: .png))
        #expect(chunkTypes(png.bytes) == ["IHDR", "IDAT", "IEND"])
    }

    private func containsSubsequence(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        bytes.indices.dropLast(needle.count - 1).contains { Array(bytes[$0..<$0 + needle.count]) == needle }
    }

    /// The distinct chunk types of a PNG, in order of first appearance.
    private func chunkTypes(_ png: [UInt8]) -> [String] {
        var types: [String] = []
        var position = 8
        while position + 8 <= png.count {
            let length = png[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[position + 4..<position + 8], as: UTF8.self)
            if types.last != type { types.append(type) }
            position += 12 + length
        }
        return types
    }
}
