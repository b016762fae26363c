import Imaging
import Synchronization

/// Makes each preview at most once at a time, and remembers for a while the previews that cannot be made.
///
/// Concurrent requests for the same ``PreviewKey`` share one flight: the first starts the work, the others wait for
/// it, and all get its result or its error. The work runs in a task of its own, so a request that goes away does
/// not cancel what the others wait for.
///
/// A flight that fails with an ``ImageError`` (a corrupt or truncated original, too many pixels) fails the same way
/// next time: the error is remembered for ``failureLifetime`` and answered without rendering, so a client cannot
/// make the service decode a broken image again and again. `out_of_memory` is not remembered (memory may be free
/// next time), nor is any other error (an unreachable database). At most ``maxRememberedFailures`` are kept; the
/// ones closest to expiring give way first.
public final class PreviewFlights: Sendable {
    /// How long a preview that could not be made is answered from memory.
    public static let failureLifetime: Duration = .seconds(600)
    /// How many failures are remembered at most.
    public static let maxRememberedFailures = 1024

    private struct State {
        var flights: [PreviewKey: Task<StoredImage, any Error>] = [:]
        var failures: ExpiringCache<PreviewKey, ImageError>
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> ContinuousClock.Instant

    /// `now` is the clock the lifetime is measured on; tests pass their own.
    public init(
        failureLifetime: Duration = PreviewFlights.failureLifetime,
        maxRememberedFailures: Int = PreviewFlights.maxRememberedFailures,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.state = Mutex(State(failures: ExpiringCache(lifetime: failureLifetime, capacity: maxRememberedFailures)))
        self.now = now
    }

    /// The remembered failure of `key`, if making it failed within the last ``failureLifetime``.
    public func rememberedFailure(for key: PreviewKey) -> ImageError? {
        let now = self.now()
        return state.withLock { $0.failures.value(for: key, at: now) }
    }

    /// The preview of `key`: the result of the flight under way for it, or of a new one running `make`. Throws the
    /// remembered failure instead, without running anything, if there is one.
    public func preview(
        for key: PreviewKey, make: @escaping @Sendable () async throws -> StoredImage
    ) async throws -> StoredImage {
        let now = self.now()
        let flight = try state.withLock { state throws(ImageError) -> Task<StoredImage, any Error> in
            if let failure = state.failures.value(for: key, at: now) { throw failure }
            if let flight = state.flights[key] { return flight }
            // The flight ends itself under the same lock, so it is in the table before it can leave it.
            let flight = Task { [self] in
                let result = await Result { try await make() }
                land(key, result)
                return try result.get()
            }
            state.flights[key] = flight
            return flight
        }
        return try await flight.value
    }

    /// Flights in the air, for tests.
    var flightsInProgress: Int { state.withLock { $0.flights.count } }
    /// Failures remembered, expired ones included until they give way, for tests.
    var rememberedFailures: Int { state.withLock { $0.failures.count } }

    private func land(_ key: PreviewKey, _ result: Result<StoredImage, any Error>) {
        let now = self.now()
        state.withLock { state in
            state.flights[key] = nil
            if case .failure(let error as ImageError) = result, error.code != .outOfMemory {
                state.failures.insert(error, for: key, at: now)
            }
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing `body`.
    fileprivate init(_ body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
