/// What an image header says: its format and pixel dimensions.
public struct ImageInfo: Sendable, Equatable, Codable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }
}

/// The encoded result of processing one image.
public struct ProcessedImage: Sendable {
    public var bytes: [UInt8]
    public var info: ImageInfo

    public init(bytes: [UInt8], info: ImageInfo) {
        self.bytes = bytes
        self.info = info
    }
}
