/// Why an image could not be read, processed or written.
///
/// `code` is stable and meant for clients (its raw value is the API's error code); `message` says what is wrong
/// in words, e.g. "JPEG data ends before the image is complete". Both come from the C kernel, which decides
/// every error about the image; this type only carries them across. The one code of the service's own is
/// ``Code/tooLargeForMemory``: the kernel's estimate against this process's memory budget.
public struct ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure, one per kernel status.
    public enum Code: String, Sendable, CaseIterable {
        /// Neither JPEG nor PNG.
        case unsupportedFormat = "unsupported_media_type"
        /// Starts like JPEG or PNG but is malformed.
        case corrupt = "corrupt_image"
        /// Ends before the image is complete.
        case truncated = "truncated_image"
        /// Has (or would produce) more pixels than the configured limit.
        case tooManyPixels = "too_many_pixels"
        /// An allocation failed.
        case outOfMemory = "out_of_memory"
        /// Asks for far more decoding work than its size needs (a JPEG whose scans repeat; `IK_JPEG_MAX_PASSES`).
        case tooComplex = "too_complex"
        /// The options cannot be carried out (out of range, or an output JPEG cannot hold).
        case invalidArgument = "invalid_argument"
        /// Would need more memory than this process gives all image work together (``ImageWorkBudget``).
        case tooLargeForMemory = "too_large_for_memory"
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A job or preview estimated at `estimate` bytes where image work may hold `budget` at most.
    public static func tooLargeForMemory(estimate: Int, budget: Int) -> ImageError {
        let mebibytes = { (bytes: Int) in (bytes + (1 << 20) - 1) >> 20 }
        return ImageError(
            code: .tooLargeForMemory,
            message: "processing this image would need about \(mebibytes(estimate)) MiB, more than the "
                + "\(mebibytes(budget)) MiB this service gives image work; ask for a smaller result or use a "
                + "smaller image")
    }
}
