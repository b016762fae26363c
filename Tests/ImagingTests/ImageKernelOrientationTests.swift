import Testing

@testable import Imaging
@testable import TestSupport

/// Photos tagged with each of the eight EXIF orientations come out upright, whatever the operations, and the
/// tag does not survive into the output.
@Suite struct ImageKernelOrientationTests {
    let kernel = ImageKernel()

    /// The upright picture: 32 x 24, quadrants red, green / blue, yellow.
    static let width = 32
    static let height = 24
    static let quadrantColours: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]]

    static func uprightColour(_ x: Int, _ y: Int) -> [UInt8] {
        quadrantColours[(y >= height / 2 ? 2 : 0) + (x >= width / 2 ? 1 : 0)]
    }

    /// Where stored pixel (x, y) of a stored w x h image lands when `orientation` turns it upright.
    static func upright(_ x: Int, _ y: Int, w: Int, h: Int, orientation: Int) -> (Int, Int) {
        switch orientation {
        case 2: (w - 1 - x, y)
        case 3: (w - 1 - x, h - 1 - y)
        case 4: (x, h - 1 - y)
        case 5: (y, x)
        case 6: (h - 1 - y, x)
        case 7: (h - 1 - y, w - 1 - x)
        case 8: (y, w - 1 - x)
        default: (x, y)
        }
    }

    /// The stored pixels a camera would write for `orientation`, as PNG.
    static func storedPNG(orientation: Int) -> [UInt8] {
        let swaps = orientation >= 5
        let w = swaps ? height : width
        let h = swaps ? width : height
        return PNGFixture.image(width: w, height: h, colorType: .rgb) { x, y in
            let (ux, uy) = upright(x, y, w: w, h: h, orientation: orientation)
            return uprightColour(ux, uy)
        }
    }

    /// A TIFF structure with one IFD holding Orientation, in either byte order.
    static func tiff(orientation: Int, littleEndian: Bool) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] {
            littleEndian ? [UInt8(v & 255), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 255)]
        }
        func u32(_ v: Int) -> [UInt8] {
            littleEndian ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF)
        }
        let header: [UInt8] = Array((littleEndian ? "II" : "MM").utf8) + u16(42) + u32(8)
        // One entry: tag 0x0112, type SHORT (3), count 1, the value left-justified in 4 bytes; no next IFD.
        return header + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
    }

    /// `jpeg` with an APP1 Exif segment carrying `orientation` right after SOI, as cameras write it.
    static func tagJPEG(_ jpeg: [UInt8], orientation: Int) -> [UInt8] {
        let payload = Array("Exif\0\0".utf8) + tiff(orientation: orientation, littleEndian: orientation % 2 == 0)
        let length = payload.count + 2
        var tagged = jpeg
        tagged.insert(contentsOf: [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 255)] + payload, at: 2)
        return tagged
    }

    /// `png` with an eXIf chunk carrying `orientation` right after IHDR (8 + 25 bytes in).
    static func tagPNG(_ png: [UInt8], orientation: Int) -> [UInt8] {
        var tagged = png
        let chunk = PNGFixture.chunk("eXIf", tiff(orientation: orientation, littleEndian: orientation % 2 == 1))
        tagged.insert(contentsOf: chunk, at: 33)
        return tagged
    }

    static func expectUpright(_ image: DecodedImage, tolerance: Int, _ comment: Comment) {
        let (w, h) = (image.width, image.height)
        for (fx, fy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
            let x = Int(fx * Double(w))
            let y = Int(fy * Double(h))
            let want = uprightColour(x * width / w, y * height / h).map(Int.init)
            let got = image[x, y].map(Int.init)
            #expect(zip(got, want).allSatisfy { abs($0 - $1) <= tolerance }, "\(comment): \(got) vs \(want)")
        }
    }

    func taggedJPEG(orientation: Int) throws -> [UInt8] {
        let jpeg = try kernel.process(
            Self.storedPNG(orientation: orientation),
            options: ProcessingOptions(operations: [], format: .jpeg, quality: 95))
        return Self.tagJPEG(jpeg.bytes, orientation: orientation)
    }

    @Test(arguments: 1...8)
    func jpegComesOutUpright(orientation: Int) throws {
        let result = try kernel.process(
            try taggedJPEG(orientation: orientation), options: ProcessingOptions(operations: [], format: .jpeg))
        #expect(result.info == ImageInfo(format: .jpeg, width: 32, height: 24))
        Self.expectUpright(try kernel.decode(result.bytes), tolerance: 12, "orientation \(orientation)")
    }

    @Test(arguments: 1...8)
    func resizeAppliesTheBoxToTheUprightImage(orientation: Int) throws {
        let result = try kernel.process(
            try taggedJPEG(orientation: orientation),
            options: ProcessingOptions(operations: [.resize], width: 16, format: .png))
        #expect(result.info == ImageInfo(format: .png, width: 16, height: 12))
        Self.expectUpright(try kernel.decode(result.bytes), tolerance: 16, "orientation \(orientation)")
    }

    @Test(arguments: 1...8)
    func pngWithEXIfChunkComesOutUpright(orientation: Int) throws {
        let png = Self.tagPNG(Self.storedPNG(orientation: orientation), orientation: orientation)
        let result = try kernel.process(png, options: ProcessingOptions(operations: []))
        #expect(result.info == ImageInfo(format: .png, width: 32, height: 24))
        Self.expectUpright(try kernel.decode(result.bytes), tolerance: 0, "orientation \(orientation)")
    }

    @Test func grayscaleOfATurnedJPEGIsUpright() throws {
        let result = try kernel.process(try taggedJPEG(orientation: 6), options: ProcessingOptions())
        #expect(result.info == ImageInfo(format: .jpeg, width: 32, height: 24))
        let gray = try kernel.decode(result.bytes)
        // Red (luma 76) top left, yellow (226) bottom right.
        #expect(abs(Int(gray[8, 6].first!) - 76) <= 8)
        #expect(abs(Int(gray[24, 18].first!) - 226) <= 8)
    }

    @Test func coverCropsTheUprightImage() throws {
        let result = try kernel.process(
            try taggedJPEG(orientation: 8),
            options: ProcessingOptions(operations: [.resize], width: 12, height: 12, fit: .cover, format: .png))
        #expect(result.info == ImageInfo(format: .png, width: 12, height: 12))
        let image = try kernel.decode(result.bytes)
        #expect(Array(image[2, 2]).map(Int.init).elementsEqual([255, 0, 0]) { abs($0 - $1) <= 16 })
        #expect(Array(image[9, 9]).map(Int.init).elementsEqual([255, 255, 0]) { abs($0 - $1) <= 16 })
    }

    @Test func outputCarriesNoOrientationTag() throws {
        let result = try kernel.process(
            try taggedJPEG(orientation: 6), options: ProcessingOptions(operations: [.resize], width: 16))
        let exif = Array("Exif".utf8)
        #expect(!result.bytes.starts(with: [0xFF, 0xD8, 0xFF, 0xE1]))
        #expect(!result.bytes.indices.dropLast(4).contains { Array(result.bytes[$0..<$0 + 4]) == exif })
    }

    @Test func ignoresAnUnreadableTag() throws {
        let stored = try kernel.process(
            Self.storedPNG(orientation: 6), options: ProcessingOptions(operations: [], format: .jpeg, quality: 95)
        ).bytes
        let upright = try kernel.process(
            Self.tagJPEG(stored, orientation: 6), options: ProcessingOptions(operations: []))
        #expect(upright.info.width == 32)
        // Orientation 9 does not exist: the pixels stay as stored.
        let nine = try kernel.process(
            Self.tagJPEG(stored, orientation: 9), options: ProcessingOptions(operations: []))
        #expect(nine.info.width == 24)
        // An IFD offset far past the segment (the high byte of the little-endian offset at byte 19).
        var damaged = Self.tagJPEG(stored, orientation: 6)
        damaged[19] = 0x7F
        #expect(try kernel.process(damaged, options: ProcessingOptions(operations: [])).info.width == 24)
    }
}
