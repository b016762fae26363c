import Testing

@testable import Imaging

@Suite struct ImageFormatTests {
    @Test func sniffsJPEGByMagicBytes() {
        #expect(ImageFormat(sniffing: [0xFF, 0xD8, 0xFF, 0xE0, 0, 0]) == .jpeg)
    }

    @Test func sniffsPNGBySignature() {
        #expect(ImageFormat(sniffing: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
    }

    @Test func rejectsTextAndShortInput() {
        #expect(ImageFormat(sniffing: Array("<html>".utf8)) == nil)
        #expect(ImageFormat(sniffing: [0xFF, 0xD8]) == nil)
        #expect(ImageFormat(sniffing: [UInt8]()) == nil)
    }
}
