extension ProcessingOptions {
    /// How many times larger per side a resize may make an image unless configured otherwise
    /// (`imageproc serve --max-enlargement`, `JobSettings.maxEnlargement`): enough for thumbnails of icons and for
    /// 2× and 4× displays, while a 69-byte 1 × 1 PNG can no longer ask for a 100-megapixel job.
    public static let defaultMaxEnlargement = 8

    /// The width and height these options produce from an image described by `info`, as the kernel computes
    /// them (`plan.c`: the box applies to the upright image; `inside` keeps the aspect ratio, the missing side
    /// following from it; `cover` and `fill` give exactly the box). Without a resize it is the upright image.
    ///
    /// Throws when a side would be enlarged more than `maxEnlargement` times (for `cover`, both sides take the
    /// larger ratio; for `fill`, each its own), or when the result would have more than `maxPixels` pixels, so
    /// that an upload that cannot or must not be carried out is refused before it is queued.
    @discardableResult
    public func outputSize(
        for info: ImageInfo, maxEnlargement: Int, maxPixels: Int
    ) throws(InvalidParameter)
        -> (width: Int, height: Int)
    {
        let (sourceWidth, sourceHeight) = info.upright
        guard operations.contains(.resize), sourceWidth > 0, sourceHeight > 0 else {
            return (sourceWidth, sourceHeight)
        }
        let boxWidth = width ?? 0
        let boxHeight = height ?? 0
        // numerator * multiplier / denominator rounded to nearest, at least 1 (plan.c's scaled_side).
        func scaled(_ numerator: Int, _ multiplier: Int, _ denominator: Int) -> Int {
            max(1, (numerator * multiplier * 2 + denominator) / (denominator * 2))
        }
        let boxIsWider = boxWidth * sourceHeight > boxHeight * sourceWidth
        var result = (width: boxWidth, height: boxHeight)
        // The side whose parameter sets the scale, and the scale of each axis as output over source.
        var limiting: (name: String, value: Int, source: Int)
        var horizontal = (output: boxWidth, source: sourceWidth)
        var vertical = (output: boxHeight, source: sourceHeight)
        if boxHeight == 0 || (boxWidth != 0 && fit == .inside && !boxIsWider) {
            result.height = scaled(sourceHeight, boxWidth, sourceWidth)
            limiting = ("width", boxWidth, sourceWidth)
            vertical = horizontal
        } else if boxWidth == 0 || (fit == .inside && boxIsWider) {
            result.width = scaled(sourceWidth, boxHeight, sourceHeight)
            limiting = ("height", boxHeight, sourceHeight)
            horizontal = vertical
        } else if fit == .cover {
            // Scaled by the larger ratio on both axes, then the centre cropped.
            limiting = boxIsWider ? ("width", boxWidth, sourceWidth) : ("height", boxHeight, sourceHeight)
            horizontal = (limiting.value, limiting.source)
            vertical = horizontal
        } else {
            limiting =
                boxWidth * sourceHeight >= boxHeight * sourceWidth
                ? ("width", boxWidth, sourceWidth) : ("height", boxHeight, sourceHeight)
        }
        if horizontal.output > maxEnlargement * horizontal.source || vertical.output > maxEnlargement * vertical.source
        {
            let factor = Double(limiting.value) / Double(limiting.source)
            let shown = factor.rounded() == factor ? "\(Int(factor))" : "\((factor * 10).rounded() / 10)"
            throw InvalidParameter(
                parameter: limiting.name,
                message: "\(limiting.name) \(limiting.value) would enlarge the \(sourceWidth) x \(sourceHeight) image "
                    + "\(shown)× (at most \(maxEnlargement)×)")
        }
        if result.width * result.height > maxPixels {
            throw InvalidParameter(
                parameter: limiting.name,
                message: "\(limiting.name) \(limiting.value) would make a \(result.width) x \(result.height) image, "
                    + "more than the limit of \(maxPixels) pixels")
        }
        return result
    }
}
