import Foundation
import Imaging

/// The status JSON of a job, as `GET /api/images/{id}` and the list return it.
struct JobView: Encodable, Sendable {
    struct Parameters: Encodable, Sendable {
        var width: Int?
        var height: Int?
        var fit: ResizeFit
        var format: OutputFormat
        var quality: Int
    }

    struct Links: Encodable, Sendable {
        var `self`: String
        var download: String
        var original: String
    }

    var id: UUID
    var status: JobStatus
    var operations: [ImageOperation]
    var parameters: Parameters
    var filename: String?
    var metadata: JSONValue?
    var uploadedAt: Date
    var processedAt: Date?
    var attempts: Int
    var original: ImageSummary
    var processed: ImageSummary?
    var error: JobFailure?
    var links: Links

    enum CodingKeys: String, CodingKey {
        case id, status, operations, parameters, filename, metadata, attempts, original, processed, error, links
        case uploadedAt = "uploaded_at"
        case processedAt = "processed_at"
    }

    init(_ record: JobRecord) {
        let path = "/api/images/\(record.id.uuidString.lowercased())"
        id = record.id
        status = record.status
        operations = record.options.operations
        parameters = Parameters(
            width: record.options.width, height: record.options.height, fit: record.options.fit,
            format: record.options.format, quality: record.options.quality)
        filename = record.filename
        // Rows stored before the depth limit may nest deeper than any encoder will write inside a page: such
        // metadata reads as null rather than failing the status and every list page that holds the job.
        metadata = record.metadata.flatMap { JSONValue(json: $0, maxDepth: Upload.maxMetadataDepth) }
        uploadedAt = record.uploadedAt
        processedAt = record.processedAt
        attempts = record.attempts
        original = record.original
        processed = record.processed
        error = record.failure
        links = Links(self: path, download: "\(path)/download", original: "\(path)/original")
    }

    // Absent optionals are written as null: clients see every key, always.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(status, forKey: .status)
        try container.encode(operations, forKey: .operations)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(filename, forKey: .filename)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(uploadedAt, forKey: .uploadedAt)
        try container.encode(processedAt, forKey: .processedAt)
        try container.encode(attempts, forKey: .attempts)
        try container.encode(original, forKey: .original)
        try container.encode(processed, forKey: .processed)
        try container.encode(error, forKey: .error)
        try container.encode(links, forKey: .links)
    }
}

extension JobView.Parameters {
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(fit, forKey: .fit)
        try container.encode(format, forKey: .format)
        try container.encode(quality, forKey: .quality)
    }

    private enum CodingKeys: String, CodingKey {
        case width, height, fit, format, quality
    }
}
