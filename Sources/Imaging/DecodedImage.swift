/// Decoded pixels: 8-bit samples, interleaved, rows packed.
///
/// `channels` is 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA, straight alpha). Used to look at what the
/// kernel produced (tests, tools); the service itself never needs pixels in Swift.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The samples of the pixel at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> ArraySlice<UInt8> {
        let start = (y * width + x) * channels
        return pixels[start..<start + channels]
    }
}
