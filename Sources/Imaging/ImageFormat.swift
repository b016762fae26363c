/// An encoded image format the service reads and writes. Decided by magic bytes, never by a name or a header.
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    case jpeg
    case png

    /// The media type sent in `Content-Type`.
    public var mediaType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        }
    }

    /// The file extension used for download names.
    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        }
    }

    /// Recognises JPEG (`FF D8 FF`) and PNG (the 8-byte signature) by their first bytes.
    public init?<Bytes: Collection<UInt8>>(sniffing bytes: Bytes) {
        let prefix = Array(bytes.prefix(8))
        if prefix.count >= 3, prefix[0] == 0xFF, prefix[1] == 0xD8, prefix[2] == 0xFF {
            self = .jpeg
        } else if prefix == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else {
            return nil
        }
    }
}
