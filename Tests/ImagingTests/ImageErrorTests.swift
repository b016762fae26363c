import CImageKernel
import Testing

@testable import Imaging

/// Every kernel status maps to its own stable code.
@Suite struct ImageErrorTests {
    @Test func mapsEveryKernelStatusToADistinctCode() {
        let statuses = [
            IK_ERR_INVALID_ARGUMENT, IK_ERR_UNSUPPORTED_FORMAT, IK_ERR_CORRUPT, IK_ERR_TRUNCATED,
            IK_ERR_TOO_MANY_PIXELS, IK_ERR_OUT_OF_MEMORY, IK_ERR_TOO_COMPLEX,
        ]
        let codes = statuses.map { ImageError(status: $0, kernelMessage: "x").code }
        // Every code but the service's own memory refusal.
        #expect(Set(codes.map(\.rawValue)).count == ImageError.Code.allCases.count - 1)
        #expect(codes[3] == .truncated && codes[3].rawValue == "truncated_image")
        #expect(codes[6] == .tooComplex && codes[6].rawValue == "too_complex")
    }

    @Test func fallsBackToTheStatusNameWithoutAMessage() {
        let error = ImageError(status: IK_ERR_CORRUPT, kernelMessage: "")
        #expect(error.message == "corrupt")
        #expect(error.description == "corrupt_image: corrupt")
    }
}
