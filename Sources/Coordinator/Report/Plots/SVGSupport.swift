import Foundation

/// Small pieces every inline-SVG plot of the report uses: escaping, number formatting, tick
/// choice, colours, and axis drawing. Plots are plain strings so the report page needs no
/// script and no network.
enum SVGSupport {
    // MARK: Text

    /// XML escaping for text content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Coordinates with one decimal: enough for a screen, small enough for long curves.
    static func coordinate(_ value: Double) -> String { String(format: "%.1f", value) }

    static func text(
        _ content: String, x: Double, y: Double, anchor: String = "start", size: Int = 12,
        weight: String = "normal", fill: String = "#222", extra: String = ""
    ) -> String {
        "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" "
            + "font-weight=\"\(weight)\" fill=\"\(fill)\"\(extra.isEmpty ? "" : " " + extra)>\(escape(content))</text>"
    }

    /// Cuts a legend or tick label to `limit` characters.
    static func shorten(_ text: String, to limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    // MARK: Ticks

    /// About `count` round tick values (1, 2, 5 × 10^k steps) covering `lower…upper`.
    static func ticks(from lower: Double, to upper: Double, count: Int = 5) -> [Double] {
        guard upper > lower, count > 0 else { return [lower] }
        let raw = (upper - lower) / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var values: [Double] = []
        var value = (lower / step).rounded(.up) * step
        while value <= upper + step * 1e-9 {
            values.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return values
    }

    /// Powers of ten (and their 2× and 5× when the range spans two decades or less) within
    /// `lower…upper`, for a logarithmic axis.
    static func logarithmicTicks(from lower: Double, to upper: Double) -> [Double] {
        guard lower > 0, upper > lower else { return [] }
        let multipliers: [Double] = upper / lower <= 100 ? [1, 2, 5] : [1]
        var values: [Double] = []
        var power = pow(10, log10(lower).rounded(.down))
        while power <= upper * (1 + 1e-9) {
            for multiplier in multipliers {
                let value = multiplier * power
                if value >= lower * (1 - 1e-9), value <= upper * (1 + 1e-9) { values.append(value) }
            }
            power *= 10
        }
        return values
    }

    /// Tick text: `12k` for thousands of steps keeps the axis readable.
    static func tickText(_ value: Double) -> String {
        if abs(value) >= 10_000, value.truncatingRemainder(dividingBy: 1000) == 0 { return "\(Int(value / 1000))k" }
        if value == value.rounded() { return String(Int(value)) }
        return String(format: "%.2g", value)
    }

    // MARK: Colours

    /// Ten distinguishable colours for cell series.
    static let categorical = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]

    /// Viridis-like ramp: dark (fast) to yellow (slow); perceptually ordered and printable.
    private static let ramp: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37),
    ]

    /// Colour at `position` in 0…1 of the ramp, with whether dark text stays readable on it.
    static func rampColor(_ position: Double) -> (fill: String, darkText: Bool) {
        let clamped = min(max(position, 0), 1) * Double(ramp.count - 1)
        let index = min(Int(clamped), ramp.count - 2)
        let fraction = clamped - Double(index)
        let (a, b) = (ramp[index], ramp[index + 1])
        let red = a.0 + (b.0 - a.0) * fraction
        let green = a.1 + (b.1 - a.1) * fraction
        let blue = a.2 + (b.2 - a.2) * fraction
        let luminance = 0.299 * red + 0.587 * green + 0.114 * blue
        return (String(format: "#%02x%02x%02x", Int(red), Int(green), Int(blue)), luminance > 140)
    }

    // MARK: Axes

    /// The step axis of a plot of several cells: linear from 0, or logarithmic when the cells
    /// drawn work on time scales at least `logarithmicRatio` apart (on a linear axis the
    /// quickest cell would be a sliver at the left edge).
    struct StepAxis {
        static let logarithmicRatio = 20.0

        let range: ClosedRange<Double>
        let logarithmic: Bool

        /// `quickest`, `slowest`: the time scales of the quickest and slowest cells drawn (in
        /// steps); `end`: the axis end; `first`: the smallest positive step drawn (a log axis
        /// starts at the power of ten at or below it; earlier points sit on its left edge).
        init(quickest: Double, slowest: Double, end: Double, first: Double) {
            let end = max(end, 1)
            logarithmic = slowest / max(quickest, 1) >= Self.logarithmicRatio
            let start = pow(10, log10(max(min(first, quickest), 1)).rounded(.down))
            range = logarithmic && start < end ? start...end : 0...end
        }

        var captionNote: String {
            logarithmic
                ? " Logarithmic step axis: the cells drawn work on time scales at least "
                    + "\(Int(Self.logarithmicRatio))-fold apart." : ""
        }
    }

    /// A plot frame: left and bottom axes with ticks, grid lines and axis titles; the x axis
    /// optionally logarithmic (values below its start sit on the left edge).
    struct Frame {
        var left: Double, top: Double, width: Double, height: Double
        var xRange: ClosedRange<Double>
        var yRange: ClosedRange<Double>
        var logarithmicX = false

        func x(_ value: Double) -> Double {
            guard logarithmicX else {
                return left + (value - xRange.lowerBound) / max(xRange.upperBound - xRange.lowerBound, 1e-12) * width
            }
            let (lower, upper) = (log10(xRange.lowerBound), log10(xRange.upperBound))
            return left + (log10(max(value, xRange.lowerBound)) - lower) / max(upper - lower, 1e-12) * width
        }

        func y(_ value: Double) -> Double {
            top + height - (value - yRange.lowerBound) / max(yRange.upperBound - yRange.lowerBound, 1e-12) * height
        }

        func axes(xTitle: String, yTitle: String, yTickText: (Double) -> String = SVGSupport.tickText) -> String {
            var parts: [String] = []
            for tick in SVGSupport.ticks(from: yRange.lowerBound, to: yRange.upperBound) {
                let position = coordinate(y(tick))
                parts.append(
                    "<line x1=\"\(coordinate(left))\" x2=\"\(coordinate(left + width))\" y1=\"\(position)\" "
                        + "y2=\"\(position)\" stroke=\"#e3e3e3\"/>")
                parts.append(SVGSupport.text(yTickText(tick), x: left - 6, y: y(tick) + 4, anchor: "end", size: 11))
            }
            let xTicks =
                logarithmicX
                ? SVGSupport.logarithmicTicks(from: xRange.lowerBound, to: xRange.upperBound)
                : SVGSupport.ticks(from: xRange.lowerBound, to: xRange.upperBound, count: 6)
            for tick in xTicks {
                let position = coordinate(x(tick))
                parts.append(
                    "<line x1=\"\(position)\" x2=\"\(position)\" y1=\"\(coordinate(top + height))\" "
                        + "y2=\"\(coordinate(top + height + 4))\" stroke=\"#444\"/>")
                parts.append(SVGSupport.text(tickText(tick), x: x(tick), y: top + height + 17, anchor: "middle", size: 11))
            }
            parts.append(
                "<rect x=\"\(coordinate(left))\" y=\"\(coordinate(top))\" width=\"\(coordinate(width))\" "
                    + "height=\"\(coordinate(height))\" fill=\"none\" stroke=\"#444\"/>")
            parts.append(
                SVGSupport.text(
                    xTitle + (logarithmicX ? " (log scale)" : ""), x: left + width / 2, y: top + height + 36, anchor: "middle", size: 12))
            let middle = top + height / 2
            parts.append(
                SVGSupport.text(
                    yTitle, x: left - 42, y: middle, anchor: "middle", size: 12,
                    extra: "transform=\"rotate(-90 \(coordinate(left - 42)) \(coordinate(middle)))\""))
            return parts.joined(separator: "\n")
        }
    }
}
