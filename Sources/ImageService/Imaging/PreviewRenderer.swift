import Dispatch

/// Makes thumbnails for the page (`?preview=256`) on a serial queue of its own: image work never runs on the
/// event loop or Swift's cooperative pool, and previews can take at most one core from the workers.
public final class PreviewRenderer: Sendable {
    /// The preview sizes offered: the longest side in pixels.
    public static let sizes: Set<Int> = [128, 256, 512]

    private let kernel: ImageKernel
    private let queue = DispatchQueue(label: "imageproc.previews", qos: .utility)

    public init(kernel: ImageKernel) {
        self.kernel = kernel
    }

    /// `bytes` shrunk to fit a `size`×`size` box, in its own format. Never enlarges.
    public func render(_ bytes: [UInt8], size: Int) async throws(ImageError) -> ProcessedImage {
        let kernel = self.kernel
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ProcessedImage, ImageError>, Never>) in
            queue.async {
                continuation.resume(
                    returning: Result { () throws(ImageError) in
                        let info = try kernel.probe(bytes)
                        let scale = min(1, Double(size) / Double(max(info.width, info.height)))
                        let options = ProcessingOptions(
                            operations: [.resize], width: max(1, Int((Double(info.width) * scale).rounded())),
                            height: max(1, Int((Double(info.height) * scale).rounded())), fit: .fill, quality: 80)
                        return try kernel.process(bytes, options: options)
                    })
            }
        }
        return try result.get()
    }
}
