import Testing

@testable import HTTPTransport

@Suite struct HTTPServerConfigurationTests {
    @Test func bindsLoopbackByDefault() {
        #expect(HTTPServerConfiguration().host == "127.0.0.1")
        #expect(HTTPServerConfiguration().bindsLoopbackOnly)
    }

    /// Only a dotted 127.x.x.x counts as this machine alone; every other spelling counts as reachable.
    @Test func countsOnlyDottedIPv4LoopbackAsThisMachineAlone() {
        for host in ["127.0.0.1", "127.0.0.2", "127.255.255.254"] {
            #expect(HTTPServerConfiguration(host: host).bindsLoopbackOnly, "\(host)")
        }
        for host in ["0.0.0.0", "0", "127.1", "0127.0.0.1", "127.0.0.1 ", "127.0.0.256", "10.0.0.1", "localhost", ""] {
            #expect(!HTTPServerConfiguration(host: host).bindsLoopbackOnly, "\(host)")
        }
    }
}
