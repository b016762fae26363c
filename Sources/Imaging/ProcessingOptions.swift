import CImageKernel

/// One step of a processing pipeline, applied in the order given.
public enum ImageOperation: String, Sendable, Codable, CaseIterable {
    case grayscale
    case resize
}

/// How a resize fits the requested box.
public enum ResizeFit: String, Sendable, Codable, CaseIterable {
    /// Within the box, aspect ratio kept.
    case inside
    /// Fills the box, aspect ratio kept, centre crop.
    case cover
    /// Exactly the box, aspect ratio ignored.
    case fill
}

/// The encoding of the result.
public enum OutputFormat: String, Sendable, Codable, CaseIterable {
    case same
    case jpeg
    case png
}

/// What to do to an image: the validated form of the API's and the CLI's parameters.
public struct ProcessingOptions: Sendable, Equatable, Codable {
    /// Widths and heights a resize may ask for: the kernel's own limit (`IK_MAX_DIMENSION`).
    public static let dimensionRange = 1...Int(IK_MAX_DIMENSION)
    /// JPEG qualities.
    public static let qualityRange = 1...100
    /// The JPEG quality when none is asked for.
    public static let defaultQuality = 85

    public var operations: [ImageOperation]
    public var width: Int?
    public var height: Int?
    public var fit: ResizeFit
    public var format: OutputFormat
    public var quality: Int

    public init(
        operations: [ImageOperation] = [.grayscale],
        width: Int? = nil,
        height: Int? = nil,
        fit: ResizeFit = .inside,
        format: OutputFormat = .same,
        quality: Int = defaultQuality
    ) {
        self.operations = operations
        self.width = width
        self.height = height
        self.fit = fit
        self.format = format
        self.quality = quality
    }
}
