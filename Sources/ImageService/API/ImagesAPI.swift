import Foundation
import Logging

/// The REST API over jobs: upload, status (with long-poll), download of result and original, list, delete; plus
/// the health endpoints.
///
/// Handlers run on Swift's concurrency pool; every libpq call goes through `PostgresPool`, which runs it on a
/// thread of its own. Image work never happens here beyond reading the upload's header.
public struct ImagesAPI: Sendable {
    /// The longest `?wait=` a status request may hold, in seconds.
    static let maxWaitSeconds = 30
    static let uploadParameters: Set<String> = ["op", "width", "height", "fit", "format", "quality"]

    let database: PostgresPool
    /// Where uploads larger than ``PostgresConnection/largeMessageBytes`` are stored: a few connections kept warm
    /// for photos (see ``PostgresPool/init(conninfo:maxConnections:keptMessageBytes:)``).
    let photoDatabase: PostgresPool
    let queue: WorkQueue
    let kernel: ImageKernel
    let previews: PreviewRenderer
    let settings: JobSettings
    let completions: JobCompletionSignal
    let metrics: JobMetrics
    let logger: Logger

    public init(
        database: PostgresPool, photoDatabase: PostgresPool? = nil, queue: WorkQueue, kernel: ImageKernel,
        settings: JobSettings, completions: JobCompletionSignal, metrics: JobMetrics, logger: Logger
    ) {
        self.database = database
        self.photoDatabase = photoDatabase ?? database
        self.queue = queue
        self.kernel = kernel
        self.previews = PreviewRenderer(kernel: kernel)
        self.settings = settings
        self.completions = completions
        self.metrics = metrics
        self.logger = logger
    }

    /// Adds every route of the API to `router`.
    public func register(on router: inout Router) {
        router.add(.post, "/api/images") { request, _ in try await upload(request) }
        router.add(.get, "/api/images") { request, _ in try await list(request) }
        router.add(.get, "/api/images/{id}") { request, parameters in try await status(request, parameters) }
        router.add(.delete, "/api/images/{id}") { request, parameters in try await delete(request, parameters) }
        router.add(.get, "/api/images/{id}/download") { request, parameters in
            try await image(request, parameters, kind: .processed)
        }
        router.add(.get, "/api/images/{id}/original") { request, parameters in
            try await image(request, parameters, kind: .original)
        }
        router.add(.get, "/healthz") { request, _ in
            _ = try QueryParameters(request.head, allowed: [])
            return .json(.ok, ["status": "ok"])
        }
        router.add(.get, "/readyz") { request, _ in try await readiness(request) }
    }

    // MARK: Upload

    func upload(_ request: HTTPRequest) async throws -> HTTPResponse {
        let query = try QueryParameters(request.head, allowed: Self.uploadParameters)
        let options = try ProcessingOptions(
            op: query["op"], width: query["width"], height: query["height"], fit: query["fit"],
            format: query["format"], quality: query["quality"])
        let idempotencyKey = try Self.idempotencyKey(request.head)
        let upload = try Upload(request)
        guard ImageFormat(sniffing: upload.bytes) != nil else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "the file is neither JPEG nor PNG (decided by its first bytes)")
        }
        let info = try kernel.probe(upload.bytes)
        try options.outputSize(for: info, maxEnlargement: settings.maxEnlargement, maxPixels: kernel.maxPixels)
        // With room in memory the job is born held by this replica and goes straight to a worker; without, it is
        // stored for whichever replica sweeps first, unless the backlog is already at its limit.
        let reservation = queue.reserve(byteCount: upload.bytes.count)
        let lease = reservation != nil ? JobLease(owner: settings.replicaID, duration: settings.leaseDuration) : nil
        if lease == nil, metrics.backlogQueued.value >= settings.maxBacklog {
            throw APIError(
                status: .tooManyRequests, code: "backlog_full", message: "too many images are waiting; try again later",
                headers: ["Retry-After": "30"])
        }
        let job = NewJob(
            original: upload.bytes, originalInfo: info, options: options, filename: upload.filename,
            metadata: upload.metadata, idempotencyKey: idempotencyKey)
        let pool = job.original.count > PostgresConnection.largeMessageBytes ? photoDatabase : database
        let outcome = try await withDatabase(on: pool) { connection in
            let outcome = try JobStore(connection: connection).insert(job, lease: lease)
            if lease == nil, case .created = outcome { try connection.notify(JobSettings.channel) }
            return outcome
        }
        switch outcome {
        case .created(let record):
            if let reservation = consume reservation {
                reservation.fill(with: PendingJob(id: record.id, options: options, original: job.original))
            }
            let view = JobView(record)
            return .json(
                .accepted,
                UploadAccepted(id: view.id.uuidString.lowercased(), status: record.status, links: view.links),
                headers: ["Location": view.links.`self`])
        case .existing(let record):
            return .json(.ok, JobView(record), headers: ["Location": JobView(record).links.`self`])
        case .keyReused:
            throw APIError(
                status: .unprocessableContent, code: "idempotency_key_reused",
                message: "this Idempotency-Key was used for a different upload in the last 24 hours")
        }
    }

    /// The `Idempotency-Key` header: 1 to 255 visible ASCII characters, or absent.
    private static func idempotencyKey(_ head: HTTPRequestHead) throws(APIError) -> String? {
        guard let key = head.headers["Idempotency-Key"] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .badRequest(
                code: "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    private struct UploadAccepted: Encodable {
        var id: String
        var status: JobStatus
        var links: JobView.Links
    }

    // MARK: Status and list

    func status(_ request: HTTPRequest, _ parameters: RouteParameters) async throws -> HTTPResponse {
        let query = try QueryParameters(request.head, allowed: ["wait"])
        let id = try jobID(parameters)
        let wait = try query.integer("wait", in: 0...Self.maxWaitSeconds) ?? 0
        var record = try await find(id)
        if wait > 0, !record.status.isTerminal {
            // Register before reading again, so a job finishing in between still wakes us.
            let waiter = completions.register(id)
            record = try await find(id)
            if record.status.isTerminal {
                waiter.cancel()
            } else {
                await waiter.wait(timeout: .seconds(wait))
                record = try await find(id)
            }
        }
        return .json(.ok, JobView(record))
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let query = try QueryParameters(request.head, allowed: ["limit", "before"])
        let limit = try query.integer("limit", in: 1...100) ?? 20
        let cursor = query["before"]
        let page = try await withDatabase { try JobStore(connection: $0).list(limit: limit, before: cursor) }
        return .json(.ok, JobList(items: page.items.map(JobView.init), next: page.next))
    }

    private struct JobList: Encodable {
        var items: [JobView]
        var next: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(items, forKey: .items)
            try container.encode(next, forKey: .next)
        }

        private enum CodingKeys: String, CodingKey { case items, next }
    }

    func delete(_ request: HTTPRequest, _ parameters: RouteParameters) async throws -> HTTPResponse {
        _ = try QueryParameters(request.head, allowed: [])
        let id = try jobID(parameters)
        guard try await withDatabase({ try JobStore(connection: $0).delete(id: id) }) else {
            throw APIError.notFound("no image with id \(id.uuidString.lowercased())")
        }
        return HTTPResponse(status: .noContent)
    }

    // MARK: Downloads

    func image(_ request: HTTPRequest, _ parameters: RouteParameters, kind: ImageKind) async throws -> HTTPResponse {
        let query = try QueryParameters(request.head, allowed: ["preview"])
        let id = try jobID(parameters)
        if let size = try query.integer("preview", in: 1...4096) {
            guard PreviewRenderer.sizes.contains(size) else {
                let sizes = PreviewRenderer.sizes.sorted().map(String.init).joined(separator: ", ")
                throw APIError.invalidParameter("preview", "preview must be one of \(sizes)")
            }
            return try await preview(request, id: id, kind: kind, size: size)
        }
        let stored = try await withDatabase { try JobStore(connection: $0).image(id: id, kind: kind) }
        guard let stored else {
            // Either the job is unknown (404) or its result is not there yet (409 with the status).
            let record = try await find(id)
            return .json(.conflict, NotReady(record: record))
        }
        let etag = "\"\(id.uuidString.lowercased())-\(kind.rawValue)\""
        var headers: HTTPHeaders = [
            "Content-Type": stored.format.mediaType,
            "ETag": etag,
            "Cache-Control": "private, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        ]
        if let candidates = request.head.headers["If-None-Match"], Self.matches(etag, candidates) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        let record = try? await find(id)
        headers.add(
            name: "Content-Disposition",
            value: ContentDisposition.attachment(
                filename: Self.downloadName(record?.filename, id: id, kind: kind, format: stored.format)))
        return HTTPResponse(status: .ok, headers: headers, body: stored.bytes)
    }

    /// A thumbnail, from the cache or made now and cached.
    private func preview(_ request: HTTPRequest, id: UUID, kind: ImageKind, size: Int) async throws -> HTTPResponse {
        let cached = try await withDatabase { try JobStore(connection: $0).preview(id: id, kind: kind, size: size) }
        let preview: StoredImage
        if let cached {
            preview = cached
        } else {
            guard let stored = try await withDatabase({ try JobStore(connection: $0).image(id: id, kind: kind) }) else {
                return .json(.conflict, NotReady(record: try await find(id)))
            }
            let rendered = try await previews.render(stored.bytes, size: size)
            preview = StoredImage(bytes: rendered.bytes, format: rendered.info.format)
            try await withDatabase { try JobStore(connection: $0).savePreview(preview, id: id, kind: kind, size: size) }
        }
        let etag = "\"\(id.uuidString.lowercased())-\(kind.rawValue)-\(size)\""
        let headers: HTTPHeaders = [
            "Content-Type": preview.format.mediaType, "ETag": etag, "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=31536000, immutable",
        ]
        if let candidates = request.head.headers["If-None-Match"], Self.matches(etag, candidates) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: preview.bytes)
    }

    private struct NotReady: Encodable {
        var error: [String: String]
        var job: JobView

        init(record: JobRecord) {
            error = [
                "code": "not_ready",
                "message": "the image is \(record.status.rawValue); its result is not available",
            ]
            job = JobView(record)
        }
    }

    private static func matches(_ etag: String, _ candidates: String) -> Bool {
        candidates.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag || $0 == "*" }
    }

    private static func downloadName(_ filename: String?, id: UUID, kind: ImageKind, format: ImageFormat) -> String {
        let stem = filename.map { ($0 as NSString).deletingPathExtension } ?? id.uuidString.lowercased()
        return kind == .processed ? "\(stem)-processed.\(format.fileExtension)" : "\(stem).\(format.fileExtension)"
    }

    // MARK: Health

    func readiness(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try QueryParameters(request.head, allowed: [])
        do {
            _ = try await database.withConnection { _ = try $0.query("SELECT 1", []) }
            return .json(.ok, ["status": "ready"])
        } catch {
            return APIError.unavailable(code: "not_ready", "the database does not answer", retryAfter: 5).response()
        }
    }

    // MARK: Helpers

    private func jobID(_ parameters: RouteParameters) throws(APIError) -> UUID {
        guard let text = parameters["id"], let id = UUID(uuidString: text) else {
            throw .notFound("no image with that id")
        }
        return id
    }

    private func find(_ id: UUID) async throws -> JobRecord {
        guard let record = try await withDatabase({ try JobStore(connection: $0).find(id: id) }) else {
            throw APIError.notFound("no image with id \(id.uuidString.lowercased())")
        }
        return record
    }

    /// Runs `body` on a connection of `pool` (by default the general one); an unreachable database becomes a 503 for
    /// the client.
    private func withDatabase<T: Sendable>(
        on pool: PostgresPool? = nil, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        do {
            return try await (pool ?? database).withConnection(body)
        } catch let error as PostgresError where error.isConnectionError {
            logger.warning("database unavailable", metadata: ["error": "\(error)"])
            throw DatabaseUnavailable()
        }
    }
}
