@testable import ImageService
@testable import Imaging
@testable import TestSupport

/// Real images for the end-to-end tests: a colourful PNG written byte by byte (no codec involved) and a JPEG
/// encoded from it by the kernel.
enum TestImages {
    /// A `width`×`height` RGB gradient: red across, green down, blue constant.
    static func colorfulPNG(width: Int = 640, height: Int = 480) -> [UInt8] {
        PNGFixture.image(width: width, height: height, colorType: .rgb) { x, y in
            [UInt8(x * 255 / max(width - 1, 1)), UInt8(y * 255 / max(height - 1, 1)), 160]
        }
    }

    /// The same gradient as a baseline JPEG.
    static func colorfulJPEG(width: Int = 640, height: Int = 480) throws -> [UInt8] {
        let options = ProcessingOptions(operations: [.resize], width: width, height: height, fit: .fill, format: .jpeg)
        return try ImageKernel().process(colorfulPNG(width: width, height: height), options: options).bytes
    }

    /// Whether every pixel of a decoded image has R == G == B (or it has one channel).
    static func isGray(_ image: DecodedImage) -> Bool {
        guard image.channels >= 3 else { return true }
        for y in 0..<image.height {
            for x in 0..<image.width {
                let pixel = Array(image[x, y])
                if pixel[0] != pixel[1] || pixel[1] != pixel[2] { return false }
            }
        }
        return true
    }
}
