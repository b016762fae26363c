import Foundation
import HTTPProtocol
import Imaging
import Logging
import PostgresClient

/// The REST API over jobs: upload, status (with long-poll), download of result and original, list, delete; plus
/// the health endpoints.
///
/// Handlers run on Swift's concurrency pool; every libpq call goes through `PostgresPool`, which runs it on a
/// thread of its own. Image work never happens here beyond reading the upload's header.
public struct ImagesAPI: Sendable {
    /// The longest `?wait=` a status request may hold, in seconds.
    static let maxWaitSeconds = 30
    /// Jobs per page of the list (`?limit=`), and when none is asked for.
    static let pageSizes = 1...100
    static let defaultPageSize = 20
    static let uploadParameters: Set<String> = ["op", "width", "height", "fit", "format", "quality"]

    let database: PostgresPool
    /// Where uploads larger than ``PostgresConnection/largeMessageBytes`` are stored: a few connections kept warm
    /// for photos (see ``PostgresPool/init(conninfo:maxConnections:keptMessageBytes:)``).
    let photoDatabase: PostgresPool
    let admission: JobAdmission
    let kernel: ImageKernel
    let previews: PreviewRenderer
    let previewFlights = PreviewFlights()
    let settings: JobSettings
    let completions: JobCompletionSignal
    let logger: Logger
    /// Until the schema is migrated, every route that uses the database answers 503 (the service starts first).
    let schema: SchemaReadiness

    /// `previews` renders on the budget it was given; without one, previews get a budget of one slot of their own.
    public init(
        database: PostgresPool, photoDatabase: PostgresPool? = nil, admission: JobAdmission, kernel: ImageKernel,
        previews: PreviewRenderer, settings: JobSettings, completions: JobCompletionSignal, logger: Logger,
        schema: SchemaReadiness = SchemaReadiness(ready: true)
    ) {
        self.schema = schema
        self.database = database
        self.photoDatabase = photoDatabase ?? database
        self.admission = admission
        self.kernel = kernel
        self.previews = previews
        self.settings = settings
        self.completions = completions
        self.logger = logger
    }

    /// Adds every route of the API to `router`: the image routes need the token (when tokens are set), the health
    /// routes are public.
    public func register(on router: inout Router) {
        router.add(.post, "/api/images", takesBody: true) { request, _ in try await upload(request) }
        router.add(.get, "/api/images") { request, _ in try await list(request) }
        router.add(.get, "/api/images/{id}") { request, parameters in try await status(request, parameters) }
        router.add(.delete, "/api/images/{id}") { request, parameters in try await delete(request, parameters) }
        router.add(.get, "/api/images/{id}/download") { request, parameters in
            try await image(request, parameters, kind: .processed)
        }
        router.add(.get, "/api/images/{id}/original") { request, parameters in
            try await image(request, parameters, kind: .original)
        }
        router.add(.get, "/healthz", access: .public) { request, _ in
            _ = try QueryParameters(request.head, allowed: [])
            return .json(.ok, ["status": "ok"])
        }
        router.add(.get, "/readyz", access: .public) { request, _ in try await readiness(request) }
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
        let estimate = try kernel.estimatedPeakBytes(upload.bytes, options: options)
        let ticket = try admission.admit(byteCount: upload.bytes.count, estimate: estimate)
        let lease = ticket.lease
        let job = NewJob(
            original: upload.bytes, originalInfo: info, options: options, filename: upload.filename,
            metadata: upload.metadata, idempotencyKey: idempotencyKey, memoryEstimate: estimate)
        let pool = job.original.count > PostgresConnection.largeMessageBytes ? photoDatabase : database
        let outcome = try await withDatabase(on: pool) { connection in
            let outcome = try JobStore(connection: connection).insert(job, lease: lease)
            // The row is committed, so the upload is accepted whatever happens to the NOTIFY: without it, the job
            // waits for the next periodic sweep. A 503 now would make the client store it a second time.
            if lease == nil, case .created = outcome { try? connection.notify(JobSettings.channel) }
            return outcome
        }
        switch outcome {
        case .created(let record):
            let pending = PendingJob(id: record.id, options: options, original: job.original, memoryEstimate: estimate)
            admission.stored(ticket, as: pending)
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
            // Register before reading again, so a job finishing in between still wakes us. The registration ends
            // with the closure, also when the job was deleted meanwhile (404) or the database fails.
            let finished = try await completions.withWaiter(for: id) { waiter in
                let current = try await find(id)
                guard !current.status.isTerminal else { return Optional(current) }
                await waiter.wait(timeout: .seconds(wait))
                return nil
            }
            record = if let finished { finished } else { try await find(id) }
        }
        return .json(.ok, JobView(record))
    }

    func list(_ request: HTTPRequest) async throws -> HTTPResponse {
        let query = try QueryParameters(request.head, allowed: ["limit", "before"])
        let limit = try query.integer("limit", in: Self.pageSizes) ?? Self.defaultPageSize
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

    /// A download, in steps that read image bytes only when they are sent: parse, look the image up without its
    /// bytes (`404`, `409`), evaluate `If-None-Match` (`304`), answer a `HEAD`, and only then fetch the bytes.
    /// `Range` is not supported: the whole image is sent (RFC 9110 §14.2 lets a server ignore it).
    func image(_ request: HTTPRequest, _ parameters: RouteParameters, kind: ImageKind) async throws -> HTTPResponse {
        let query = try QueryParameters(request.head, allowed: ["preview"])
        let id = try jobID(parameters)
        let previewSize = try Self.previewSize(query)
        guard let metadata = try await withDatabase({ try JobStore(connection: $0).imageMetadata(id: id, kind: kind) })
        else {
            throw APIError.notFound("no image with id \(id.uuidString.lowercased())")
        }
        guard let image = metadata.image else { return .json(.conflict, NotReady(record: metadata.job)) }
        if let previewSize {
            return try await preview(request, PreviewKey(id: id, kind: kind, size: previewSize))
        }
        let etag = EntityTag("\(id.uuidString.lowercased())-\(kind.rawValue)")
        var headers = Self.validators(etag)
        if IfNoneMatch(request.head.headers)?.matches(etag) == true {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        headers.add(name: "Content-Type", value: image.format.mediaType)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        headers.add(
            name: "Content-Disposition",
            value: ContentDisposition.attachment(
                filename: Self.downloadName(metadata.job.filename, id: id, kind: kind, format: image.format)))
        if request.head.method == .head {
            // The head of the GET, its length from the look-up: HEAD never reads the bytes.
            headers.add(name: "Content-Length", value: String(image.bytes))
            return HTTPResponse(status: .ok, headers: headers)
        }
        if image.bytes >= StoredImageSource.streamingThreshold {
            // Large images go out a part at a time, as the client reads: no client holds a copy of the whole.
            let source = StoredImageSource(database: database, id: id, kind: kind, count: image.bytes)
            return HTTPResponse(status: .ok, headers: headers, bodySource: source)
        }
        guard let bytes = try await fetchBytes(id: id, kind: kind) else {
            // Deleted since the look-up.
            throw APIError.notFound("no image with id \(id.uuidString.lowercased())")
        }
        return HTTPResponse(status: .ok, headers: headers, body: bytes)
    }

    /// `?preview=`: nil when absent, else one of ``PreviewRenderer/sizes``.
    private static func previewSize(_ query: QueryParameters) throws -> Int? {
        guard let text = query["preview"] else { return nil }
        guard let size = Int(text), PreviewRenderer.sizes.contains(size) else {
            let sizes = PreviewRenderer.sizes.sorted().map(String.init).joined(separator: ", ")
            throw APIError.invalidParameter("preview", "preview must be one of \(sizes)")
        }
        return size
    }

    /// What a `200` and its `304` share (RFC 9110 §15.4.5): the validator and the caching rules.
    private static func validators(_ etag: EntityTag) -> HTTPHeaders {
        ["ETag": etag.description, "Cache-Control": "private, max-age=31536000, immutable"]
    }

    /// A thumbnail of an image that is there: a remembered failure, a `304`, or the preview from the cache or made
    /// now (one render for all concurrent requests of it) and cached.
    private func preview(_ request: HTTPRequest, _ key: PreviewKey) async throws -> HTTPResponse {
        // Conditions only apply to what would otherwise be a 2xx (RFC 9110 §13.2.1): a preview that cannot be made
        // is its error whatever the client holds.
        if let failure = previewFlights.rememberedFailure(for: key) { throw failure }
        let etag = EntityTag(key.description)
        var headers = Self.validators(etag)
        if IfNoneMatch(request.head.headers)?.matches(etag) == true {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        let preview = try await previewFlights.preview(for: key) { [self] in try await makePreview(key) }
        headers.add(name: "Content-Type", value: preview.format.mediaType)
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        return HTTPResponse(status: .ok, headers: headers, body: preview.bytes)
    }

    /// One flight of a preview: the cached one if there is, else a render of the image, stored for next time.
    private func makePreview(_ key: PreviewKey) async throws -> StoredImage {
        let store = { @Sendable (connection: PostgresConnection) in JobStore(connection: connection) }
        if let cached = try await withDatabase({ try store($0).preview(id: key.id, kind: key.kind, size: key.size) }) {
            return cached
        }
        guard let bytes = try await fetchBytes(id: key.id, kind: key.kind) else {
            throw APIError.notFound("no image with id \(key.id.uuidString.lowercased())")
        }
        let rendered = try await previews.render(bytes, size: key.size)
        let preview = StoredImage(bytes: rendered.bytes, format: rendered.info.format)
        try await withDatabase { try store($0).savePreview(preview, id: key.id, kind: key.kind, size: key.size) }
        return preview
    }

    /// The image's bytes, read whole from PostgreSQL: the last step of a download, once it is known they are sent.
    /// Nil if the image is gone since its look-up.
    private func fetchBytes(id: UUID, kind: ImageKind) async throws -> [UInt8]? {
        try await withDatabase { try JobStore(connection: $0).imageBytes(id: id, kind: kind) }
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

    private static func downloadName(_ filename: String?, id: UUID, kind: ImageKind, format: ImageFormat) -> String {
        let stem = filename.map { ($0 as NSString).deletingPathExtension } ?? id.uuidString.lowercased()
        return kind == .processed ? "\(stem)-processed.\(format.fileExtension)" : "\(stem).\(format.fileExtension)"
    }

    // MARK: Health

    /// Ready when the schema is migrated and PostgreSQL answered the readiness probe lately. The probe runs on a
    /// connection of its own (``SchemaReadiness``), so a pool busy with slow requests does not make a pod unready.
    func readiness(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try QueryParameters(request.head, allowed: [])
        guard schema.isReady else { return Self.notReady("the database is not ready yet") }
        guard schema.databaseAnswers(at: .now) else { return Self.notReady("the database does not answer") }
        return .json(.ok, ["status": "ready"])
    }

    private static func notReady(_ message: String) -> HTTPResponse {
        APIError.unavailable(code: "not_ready", message, retryAfter: DatabaseUnavailable.retryAfterSeconds).response()
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

    /// Runs `body` on a connection of `pool` (by default the general one); a database that cannot serve right now
    /// (``PostgresError/isUnavailable``) becomes a 503 for the client.
    private func withDatabase<T: Sendable>(
        on pool: PostgresPool? = nil, _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        guard schema.isReady else { throw DatabaseUnavailable() }
        do {
            return try await (pool ?? database).withConnection(body)
        } catch let error as PostgresError where error.isUnavailable {
            logger.warning("database unavailable", metadata: ["error": "\(error)"])
            throw DatabaseUnavailable()
        }
    }
}
