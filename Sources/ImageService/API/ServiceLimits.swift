import Imaging

/// What this server accepts, as `GET /api/limits` tells clients (the page reads it before a token is entered, so
/// it is public): the same values the handlers enforce, taken from the running configuration.
struct ServiceLimits: Encodable, Equatable {
    /// A range of integers as `{"minimum", "maximum"}`.
    struct Bounds: Encodable, Equatable {
        var minimum: Int
        var maximum: Int

        init(_ range: ClosedRange<Int>) {
            minimum = range.lowerBound
            maximum = range.upperBound
        }
    }

    var maxUploadBytes: Int
    var maxPixels: Int
    var maxEnlargement: Int
    var dimension: Bounds
    var quality: Bounds
    var defaultQuality: Int
    var maxWaitSeconds: Int
    var operations: [String]
    var fits: [String]
    var formats: [String]
    var inputFormats: [String]

    init(_ configuration: ServiceConfiguration) {
        maxUploadBytes = configuration.http.limits.maxBodyBytes
        maxPixels = configuration.maxPixels
        maxEnlargement = configuration.jobs.maxEnlargement
        dimension = Bounds(ProcessingOptions.dimensionRange)
        quality = Bounds(ProcessingOptions.qualityRange)
        defaultQuality = ProcessingOptions.defaultQuality
        maxWaitSeconds = ImagesAPI.maxWaitSeconds
        operations = ImageOperation.allCases.map(\.rawValue)
        fits = ResizeFit.allCases.map(\.rawValue)
        formats = OutputFormat.allCases.map(\.rawValue)
        inputFormats = ImageFormat.allCases.map(\.rawValue)
    }

    enum CodingKeys: String, CodingKey {
        case maxUploadBytes = "max_upload_bytes"
        case maxPixels = "max_pixels"
        case maxEnlargement = "max_enlargement"
        case dimension
        case quality
        case defaultQuality = "default_quality"
        case maxWaitSeconds = "max_wait_seconds"
        case operations
        case fits
        case formats
        case inputFormats = "input_formats"
    }
}
