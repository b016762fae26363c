/// What an image header says: its format and pixel dimensions.
public struct ImageInfo: Sendable, Equatable, Codable {
    public var format: ImageFormat
    /// The dimensions as stored, before the EXIF orientation turns the image upright.
    public var width: Int
    public var height: Int
    /// The EXIF Orientation, 1...8 (1 when absent); 5...8 swap width and height. Not encoded: only the probe
    /// reports it, for the checks made at upload.
    public var orientation: Int = 1

    private enum CodingKeys: String, CodingKey {
        case format, width, height
    }

    public init(format: ImageFormat, width: Int, height: Int, orientation: Int = 1) {
        self.format = format
        self.width = width
        self.height = height
        self.orientation = orientation
    }

    /// Width and height once the orientation is applied: the image a resize box refers to.
    public var upright: (width: Int, height: Int) {
        (5...8).contains(orientation) ? (height, width) : (width, height)
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
