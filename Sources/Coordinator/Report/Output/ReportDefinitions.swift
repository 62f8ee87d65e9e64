/// The statistical definitions every report file states, in one place so `report.md` and
/// `report.html` say the same thing. Text may use `backticks` for literal spellings.
enum ReportDefinitions {
    static let all: [(term: String, text: String)] = [
        (
            "Observed seeds (n)",
            "trials that grokked, were censored (the budget ran out) or diverged. Failed trials (errors, given up) "
                + "are not observations of grokking and are only counted; pending trials have not run yet."
        ),
        (
            "t_grok",
            "when every observed seed grokked, the sample median, with quartiles by linear interpolation (numpy's "
                + "default). Otherwise the Kaplan–Meier estimate: censored and diverged seeds are right-censored at the "
                + "budget; a quantile is the first grok step where the survival curve reaches it (the midpoint to the "
                + "next grok step when it lands on it exactly, so without censoring the median is the sample median). "
                + "`>B (k/n)` means the median lies beyond the budget B, with k of n seeds grokked."
        ),
        (
            "95% CI",
            "percentile bootstrap of the (Kaplan–Meier) median: 2000 resamples of the seeds, seeded by the cell key so "
                + "the report is reproducible; an end `>B` lies beyond the budget."
        ),
        (
            "Baseline",
            "each cell is compared with the baseline cell that agrees with it on every axis, other than those the "
                + "sweep's baseline fixes, that both cells vary; an axis only one of them has (a conditional grid) does "
                + "not prevent the match; ties go to more agreeing axes, then agreeing config values, then the earliest."
        ),
        (
            "Speedup",
            "for each seed both cells ran, baseline t_grok / cell t_grok; the geometric mean over seeds where both "
                + "grokked, with a bootstrap 95% CI. Pairs where either side did not grok are excluded and counted in "
                + "the notes. When no pair is exact: `≥X` is the geometric mean of baseline budget / cell t_grok over "
                + "pairs whose baseline did not grok (a lower bound), `≤X` that of baseline t_grok / cell budget over "
                + "pairs whose cell did not grok (an upper bound). Steps count the target model only."
        ),
        (
            "Speedup (s), (FLOPs)",
            "the same ratio of each trial's total wall seconds and FLOPs over the same exact pairs: a trial stops "
                + "once grokking is confirmed, so its totals are its cost to grok (GrokTransfer's weak model included). "
                + "Bounds as for steps, from the totals of a side whose budget ran out."
        ),
        (
            "Best first",
            "cells ranked by median t_grok (beyond the budget last), then by the fraction of seeds grokked, then by "
                + "median seconds."
        ),
    ]
}
