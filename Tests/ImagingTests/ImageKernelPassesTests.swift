import Foundation
import Testing

@testable import Imaging
@testable import TestSupport

/// The kernel's fast paths give what the plain pixel path gives: grayscale of a JPEG straight from its DCT
/// coefficients, grayscale of a progressive JPEG without its colour scans, and resizes that start from a JPEG
/// decoded at a reduced DCT scale.
@Suite struct ImageKernelPassesTests {
    let kernel = ImageKernel()

    /// A smooth photo-like pattern with some texture, 203 x 157 (not a multiple of the 16-pixel MCU).
    static func photoPNG(width: Int = 203, height: Int = 157) -> [UInt8] {
        PNGFixture.image(width: width, height: height, colorType: .rgb) { x, y in
            let wave: Double = sin(Double(x) / 17) * cos(Double(y) / 23)
            let r = UInt8((128 + 100 * wave).rounded())
            return [r, UInt8((x * 3 + y * 2) % 256), UInt8(40 + ((x ^ y) & 63))]
        }
    }

    /// Mean and largest absolute difference of two images of the same shape.
    static func difference(_ a: DecodedImage, _ b: DecodedImage) -> (mean: Double, max: Int) {
        #expect(a.width == b.width && a.height == b.height && a.channels == b.channels)
        let diffs = zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }
        return (Double(diffs.reduce(0, +)) / Double(max(diffs.count, 1)), diffs.max() ?? 0)
    }

    @Test(arguments: [50, 85, 95, 100])
    func grayscaleFromCoefficientsMatchesThePixelPath(sourceQuality: Int) throws {
        let jpeg = try kernel.process(
            Self.photoPNG(), options: ProcessingOptions(operations: [], format: .jpeg, quality: sourceQuality)
        ).bytes
        // Coefficient path (JPEG to JPEG) against the luma decoded to pixels and kept losslessly (PNG).
        let fast = try kernel.process(jpeg, options: ProcessingOptions(operations: [.grayscale], quality: 85))
        let plain = try kernel.process(jpeg, options: ProcessingOptions(operations: [.grayscale], format: .png))
        #expect(fast.info == ImageInfo(format: .jpeg, width: 203, height: 157))
        let fastPixels = try kernel.decode(fast.bytes)
        #expect(fastPixels.channels == 1)
        let lossless = try kernel.decode(plain.bytes)
        // The pixel path's own loss: the same luma encoded at quality 85 the usual way.
        let reencoded = try kernel.decode(
            try kernel.process(plain.bytes, options: ProcessingOptions(operations: [], format: .jpeg)).bytes)
        let fastLoss = Self.difference(fastPixels, lossless)
        let pixelLoss = Self.difference(reencoded, lossless)
        // No more than re-encoding loses anyway: a wrong table would be off by tens everywhere.
        #expect(fastLoss.mean <= pixelLoss.mean + 0.25, "mean \(fastLoss.mean) vs \(pixelLoss.mean)")
        #expect(fastLoss.max <= pixelLoss.max + 4, "largest \(fastLoss.max) vs \(pixelLoss.max)")
    }

    @Test func grayscaleFromCoefficientsWritesTheQualityAsked() throws {
        let jpeg = try kernel.process(
            Self.photoPNG(width: 320, height: 240), options: ProcessingOptions(operations: [], format: .jpeg)
        ).bytes
        let low = try kernel.process(jpeg, options: ProcessingOptions(operations: [.grayscale], quality: 30))
        let high = try kernel.process(jpeg, options: ProcessingOptions(operations: [.grayscale], quality: 95))
        #expect(low.bytes.count < high.bytes.count)
    }

    @Test(arguments: ["progressive.jpg", "gray.jpg", "s444.jpg", "s422.jpg", "cmyk.jpg", "ycck.jpg"])
    func grayscaleOfEveryJPEGKindAgreesWithItsColourDecode(name: String) throws {
        let source = try FixtureFiles.bytes(name)
        let colour = try kernel.decode(source)
        let gray = try kernel.decode(
            try kernel.process(source, options: ProcessingOptions(operations: [.grayscale], quality: 95)).bytes)
        #expect(gray.channels == 1 && gray.width == colour.width && gray.height == colour.height)
        for (x, y) in [(16, 12), (48, 12), (16, 36), (48, 36)] {
            let samples = colour[x, y].map(Int.init)
            let want =
                samples.count == 1
                ? samples[0] : ImageKernelAccuracyTests.luma(samples[0], samples[1], samples[2])
            #expect(abs(Int(gray[x, y].first!) - want) <= 4, "\(name) at \(x),\(y)")
        }
    }

    /// Grayscale results of the progressive texture and of its baseline twin (the same coefficients in one
    /// scan, so nothing is ever left out of it): the coefficient path, the pixel path, and a scaled decode.
    static let grayscaleOptions: [ProcessingOptions] = [
        ProcessingOptions(operations: [.grayscale]),
        ProcessingOptions(operations: [.grayscale], format: .png),
        ProcessingOptions(operations: [.resize, .grayscale], width: 60),
    ]

    @Test func grayscaleOfAProgressiveJPEGEqualsItsBaselineTwin() throws {
        let progressive = try FixtureFiles.bytes("texture-progressive.jpg")
        let baseline = try FixtureFiles.bytes("texture-baseline.jpg")
        // The premise: the two files hold the same image.
        #expect(try kernel.decode(progressive).pixels == kernel.decode(baseline).pixels)
        for options in Self.grayscaleOptions {
            let fromProgressive = try kernel.process(progressive, options: options)
            #expect(fromProgressive.bytes == (try kernel.process(baseline, options: options)).bytes, "\(options)")
        }
    }

    /// The scans of the progressive texture that carry only colour (Cb or Cr AC coefficients), by the offset
    /// of their SOS marker's component selector.
    static func colourScanSelectors(_ jpeg: [UInt8]) -> [Int] {
        jpeg.indices.dropLast(6).filter { index in
            // FF DA, a two-byte length of 8 (one component), then that component's id: 2 or 3.
            jpeg[index] == 0xFF && jpeg[index + 1] == 0xDA && jpeg[index + 2] == 0 && jpeg[index + 3] == 8
                && jpeg[index + 4] == 1 && (jpeg[index + 5] == 2 || jpeg[index + 5] == 3)
        }.map { $0 + 5 }
    }

    @Test func grayscaleNeverReadsTheColourScans() throws {
        let progressive = try FixtureFiles.bytes("texture-progressive.jpg")
        let selectors = Self.colourScanSelectors(progressive)
        #expect(selectors.count == 4)
        // Point every colour scan at a component the frame does not have: libjpeg rejects the file as soon as
        // it reads one of them, so only a decode that leaves them all out can succeed.
        var damaged = progressive
        for selector in selectors { damaged[selector] = 9 }
        #expect(throws: ImageError.self) { _ = try kernel.decode(damaged) }
        #expect(throws: ImageError.self) {
            _ = try kernel.process(damaged, options: ProcessingOptions(operations: [.resize], width: 60))
        }
        for options in Self.grayscaleOptions {
            let result = try kernel.process(damaged, options: options)
            #expect(result.bytes == (try kernel.process(progressive, options: options)).bytes, "\(options)")
        }
    }

    /// A JPEG stored as RGB has no luma plane: its grayscale needs every scan, whatever the file's scan script.
    @Test func grayscaleOfAnRGBJPEGReadsEveryPlane() throws {
        let jpeg = try FixtureFiles.bytes("texture-rgb.jpg")
        let colour = try kernel.decode(jpeg)
        let gray = try kernel.decode(
            try kernel.process(jpeg, options: ProcessingOptions(operations: [.grayscale], format: .png)).bytes)
        #expect(gray.channels == 1 && gray.width == colour.width && gray.height == colour.height)
        var largest = 0
        for y in 0..<colour.height {
            for x in 0..<colour.width {
                let rgb = colour[x, y].map(Int.init)
                let want = ImageKernelAccuracyTests.luma(rgb[0], rgb[1], rgb[2])
                largest = max(largest, abs(Int(gray[x, y].first!) - want))
            }
        }
        #expect(largest <= 1)
    }
}
