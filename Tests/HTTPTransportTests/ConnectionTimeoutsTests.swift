import Testing

@testable import HTTPTransport

/// Every deadline of a connection with the time driven by the test: no sockets, no sleeping.
@Suite struct ConnectionTimeoutsTests {
    /// A timeout and the millisecond it was noticed at.
    struct Fired: Equatable {
        var timeout: ConnectionTimeouts.Timeout
        var at: Int64
    }

    /// Header deadline 10 s, idle timeout 60 s, windows of 30 s at 1024 bytes per second.
    static let configuration = HTTPServerConfiguration(
        idleTimeout: 60, headerTimeout: 10, transferWindow: 30, minimumTransferRate: 1024)

    static func fresh(at now: Int64 = 0) -> ConnectionTimeouts {
        ConnectionTimeouts(configuration: configuration, now: now)
    }

    /// Checks `timeouts` every `step` ms after `start` up to `end`, as the server's tick does, first letting
    /// `meanwhile` say what moved since the last check; returns the first timeout and when it fired.
    static func tick(
        _ timeouts: inout ConnectionTimeouts, from start: Int64 = 0, through end: Int64, every step: Int64 = 1000,
        meanwhile: (inout ConnectionTimeouts) -> Void = { _ in }
    ) -> Fired? {
        var now = start
        while now < end {
            now += step
            meanwhile(&timeouts)
            if let timeout = timeouts.due(now: now) { return Fired(timeout: timeout, at: now) }
        }
        return nil
    }

    // MARK: Header deadline

    @Test func aSilentNewConnectionIsDueByTheHeaderDeadline() {
        var timeouts = Self.fresh(at: 5_000)
        #expect(Self.tick(&timeouts, from: 5_000, through: 60_000, every: 1) == Fired(timeout: .header, at: 15_000))
    }

    /// Slowloris: what arrives does not move the deadline; only a new head (``ConnectionTimeouts/awaitHead(now:)``)
    /// does.
    @Test func bytesArrivingDoNotExtendTheHeaderDeadline() {
        var timeouts = Self.fresh()
        timeouts.awaitHead(now: 2_000)
        let fired = Self.tick(&timeouts, from: 2_000, through: 60_000) { $0.bodyRead(1) }
        #expect(fired == Fired(timeout: .header, at: 12_000))
    }

    /// The connection restarts the deadline when the server, not the client, made the head wait.
    @Test func aRestartedHeadGetsItsFullTimeAgain() {
        var timeouts = Self.fresh()
        #expect(Self.tick(&timeouts, through: 8_000) == nil)
        timeouts.awaitHead(now: 8_000)
        #expect(Self.tick(&timeouts, from: 8_000, through: 60_000) == Fired(timeout: .header, at: 18_000))
    }

    @Test func aHeadThatIsInNoLongerHasADeadline() {
        var timeouts = Self.fresh()
        timeouts.removePhaseDeadline()
        #expect(Self.tick(&timeouts, through: 3_600_000) == nil)
    }

    // MARK: Idle keep-alive connections

    @Test func closesAConnectionIdleForTheIdleTimeout() {
        var timeouts = Self.fresh()
        timeouts.awaitNextRequest(now: 1_500)
        #expect(Self.tick(&timeouts, from: 1_500, through: 120_000, every: 1) == Fired(timeout: .idle, at: 61_500))
    }

    /// The idle time counts from the answer, but a connection still writing it is not idle.
    @Test func theIdleTimeoutWaitsForTheOutputToBeWritten() {
        var timeouts = Self.fresh()
        timeouts.outputQueued(now: 0)
        timeouts.awaitNextRequest(now: 0)
        #expect(Self.tick(&timeouts, through: 90_000) { $0.outputWritten(1024) } == nil)
        timeouts.outputDrained()
        #expect(Self.tick(&timeouts, from: 90_000, through: 200_000) == Fired(timeout: .idle, at: 91_000))
    }

    @Test func aNewRequestEndsTheIdleWait() {
        var timeouts = Self.fresh()
        timeouts.awaitNextRequest(now: 0)
        timeouts.awaitHead(now: 50_000)
        #expect(Self.tick(&timeouts, from: 50_000, through: 120_000) == Fired(timeout: .header, at: 60_000))
    }

    // MARK: Body budget

    @Test func turnsAwayARequestThatWaitedAWindowForTheBodyBudget() {
        var timeouts = Self.fresh()
        timeouts.awaitBodyBudget(now: 4_000)
        let fired = Self.tick(&timeouts, from: 4_000, through: 120_000, every: 1)
        #expect(fired == Fired(timeout: .bodyBudget, at: 34_000))
    }

    @Test func aGrantedBudgetEndsTheWait() {
        var timeouts = Self.fresh()
        timeouts.awaitBodyBudget(now: 0)
        timeouts.readBody(now: 29_000)
        #expect(Self.tick(&timeouts, from: 29_000, through: 120_000) { $0.bodyRead(1024) } == nil)
    }

    // MARK: Body rate

    @Test func acceptsABodyThatKeepsTheMinimumRate() {
        var timeouts = Self.fresh()
        timeouts.readBody(now: 0)
        #expect(Self.tick(&timeouts, through: 300_000) { $0.bodyRead(1024) } == nil)
    }

    @Test func cutsABodyBelowTheMinimumRate() {
        var timeouts = Self.fresh()
        timeouts.readBody(now: 0)
        timeouts.bodyRead(30 * 1024 - 1)
        #expect(Self.tick(&timeouts, through: 300_000) == Fired(timeout: .slowBody, at: 30_000))
    }

    /// One byte a second would satisfy a timer reset by every read; averaged over the window it is far too slow.
    @Test func aTrickleCannotKeepABodyAlive() {
        var timeouts = Self.fresh()
        timeouts.readBody(now: 0)
        #expect(Self.tick(&timeouts, through: 300_000) { $0.bodyRead(1) } == Fired(timeout: .slowBody, at: 30_000))
    }

    /// Bytes of the head (or of anything before the body) do not pay for the body's rate.
    @Test func onlyBytesReadDuringTheBodyCount() {
        var timeouts = Self.fresh()
        timeouts.bodyRead(1_000_000)
        timeouts.readBody(now: 1_000)
        #expect(Self.tick(&timeouts, from: 1_000, through: 300_000) == Fired(timeout: .slowBody, at: 31_000))
    }

    @Test func theBodyRateEndsWhenTheRequestGoesToTheResponder() {
        var timeouts = Self.fresh()
        timeouts.readBody(now: 0)
        timeouts.removePhaseDeadline()
        #expect(Self.tick(&timeouts, through: 3_600_000) == nil)
    }

    // MARK: Output rate

    @Test func cutsAResponseTheClientReadsTooSlowly() {
        var timeouts = Self.fresh()
        timeouts.removePhaseDeadline()
        timeouts.outputQueued(now: 0)
        let fired = Self.tick(&timeouts, through: 300_000) { $0.outputWritten(1000) }
        #expect(fired == Fired(timeout: .slowWrite, at: 30_000))
    }

    @Test func keepsAResponseTheClientReadsFastEnough() {
        var timeouts = Self.fresh()
        timeouts.removePhaseDeadline()
        timeouts.outputQueued(now: 0)
        #expect(Self.tick(&timeouts, through: 300_000) { $0.outputWritten(1024) } == nil)
    }

    /// The rate starts when output becomes pending, not when more is added to what already waits.
    @Test func theOutputRateCountsFromWhenOutputBecamePending() {
        var timeouts = Self.fresh()
        timeouts.removePhaseDeadline()
        timeouts.outputQueued(now: 0)
        timeouts.outputDrained()
        timeouts.outputQueued(now: 20_000)
        timeouts.outputQueued(now: 40_000)
        #expect(Self.tick(&timeouts, from: 20_000, through: 300_000) == Fired(timeout: .slowWrite, at: 50_000))
    }

    @Test func writtenOutputIsNoLongerTimed() {
        var timeouts = Self.fresh()
        timeouts.removePhaseDeadline()
        timeouts.outputQueued(now: 0)
        timeouts.outputDrained()
        #expect(Self.tick(&timeouts, through: 3_600_000) == nil)
    }

    /// Whatever the phase waits for, a stalled write is reported first: the connection closes rather than answers.
    @Test func aStalledWriteIsReportedBeforeThePhasesOwnTimeout() {
        var timeouts = Self.fresh()
        timeouts.awaitBodyBudget(now: 0)
        timeouts.outputQueued(now: 0)
        #expect(Self.tick(&timeouts, through: 300_000) == Fired(timeout: .slowWrite, at: 30_000))
    }

    // MARK: Lingering

    @Test func endsTheLingeringReadAfterTwoSeconds() {
        var timeouts = Self.fresh()
        timeouts.linger(now: 7_250)
        let fired = Self.tick(&timeouts, from: 7_250, through: 60_000, every: 1)
        #expect(fired == Fired(timeout: .lingerEnded, at: 7_250 + ConnectionTimeouts.lingerMilliseconds))
        #expect(ConnectionTimeouts.lingerMilliseconds == 2000)
    }
}
