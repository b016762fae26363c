import Foundation
import Imaging

/// Format, size and byte count of one stored image (the original or the result).
public struct ImageSummary: Sendable, Equatable, Codable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var bytes: Int

    public init(format: ImageFormat, width: Int, height: Int, bytes: Int) {
        self.format = format
        self.width = width
        self.height = height
        self.bytes = bytes
    }
}

/// Why a job failed: a stable machine-readable code and a message for people.
public struct JobFailure: Sendable, Equatable, Codable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// A job as stored: everything but the image bytes.
public struct JobRecord: Sendable, Equatable {
    public var id: UUID
    public var status: JobStatus
    public var options: ProcessingOptions
    public var filename: String?
    /// The client's metadata, a JSON object kept as the text it sent.
    public var metadata: String?
    public var uploadedAt: Date
    public var processedAt: Date?
    public var original: ImageSummary
    public var processed: ImageSummary?
    public var failure: JobFailure?
    public var attempts: Int

    public init(
        id: UUID, status: JobStatus, options: ProcessingOptions, filename: String?, metadata: String?,
        uploadedAt: Date, processedAt: Date?, original: ImageSummary, processed: ImageSummary?,
        failure: JobFailure?, attempts: Int
    ) {
        self.id = id
        self.status = status
        self.options = options
        self.filename = filename
        self.metadata = metadata
        self.uploadedAt = uploadedAt
        self.processedAt = processedAt
        self.original = original
        self.processed = processed
        self.failure = failure
        self.attempts = attempts
    }
}

/// A job about to be stored: the upload, already sniffed and probed.
public struct NewJob: Sendable {
    public var id: UUID
    public var original: [UInt8]
    public var originalInfo: ImageInfo
    public var options: ProcessingOptions
    public var filename: String?
    public var metadata: String?
    /// The client's `Idempotency-Key`: the same key within 24 hours returns the first job instead of a new one.
    public var idempotencyKey: String?
    /// The kernel's estimate of the job's peak memory (``ImageKernel/estimatedPeakBytes(_:options:)``), stored so
    /// that a sweep can take only what fits in its replica's memory queue.
    public var memoryEstimate: Int

    public init(
        id: UUID = UUID(), original: [UInt8], originalInfo: ImageInfo, options: ProcessingOptions,
        filename: String?, metadata: String?, idempotencyKey: String? = nil, memoryEstimate: Int = 0
    ) {
        self.id = id
        self.original = original
        self.originalInfo = originalInfo
        self.options = options
        self.filename = filename
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
        self.memoryEstimate = memoryEstimate
    }
}

/// A job handed to a worker: its id, what to do, and the original bytes (no read-back from the database).
public struct PendingJob: Sendable {
    public var id: UUID
    public var options: ProcessingOptions
    public var original: [UInt8]
    /// The kernel's estimate of the job's peak memory, as made at upload: what the memory queue counts. Zero for
    /// jobs stored before estimates were; the worker estimates again in any case before it runs the job.
    public var memoryEstimate: Int

    public init(id: UUID, options: ProcessingOptions, original: [UInt8], memoryEstimate: Int = 0) {
        self.id = id
        self.options = options
        self.original = original
        self.memoryEstimate = memoryEstimate
    }
}
