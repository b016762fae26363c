import Imaging

/// Image bytes read back from the store, with the format they were recorded as.
public struct StoredImage: Sendable, Equatable {
    public var bytes: [UInt8]
    public var format: ImageFormat

    public init(bytes: [UInt8], format: ImageFormat) {
        self.bytes = bytes
        self.format = format
    }
}
