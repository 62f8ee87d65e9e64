import Foundation
import Protocol
import Testing

@testable import Coordinator

/// Every user mistake in a sweep file is one `ConfigError` naming the file, the JSON path in
/// the sweep file and what was expected.
@Suite struct SweepErrorTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        /// The whole message must start with this (file, path, expectation)…
        var prefix: String
        /// …and contain this (what was found), when given.
        var fragment: String = ""
        var description: String { name }
    }

    static let axisOnWeightDecay = #""grid": [{ "path": "target.width", "values": [64] }, { "path": "target.weightDecay", "values": "#

    static let cases: [Case] = [
        Case(
            name: "unknown top-level key", text: #"{ "name": "x", "grdi": [] }"#,
            prefix: "sweeps/x.json: $.grdi: expected no such key", fragment: #"unknown key "grdi""#),
        Case(
            name: "missing name", text: #"{ "budget": 10 }"#,
            prefix: "sweeps/x.json: $.name: expected a string, found nothing"),
        Case(
            name: "wrong type", text: #"{ "name": 3 }"#,
            prefix: "sweeps/x.json: $.name: expected a string, found a number"),
        Case(
            name: "invalid JSON", text: "{ \"name\": \"x\",\n  \"grid\": [ }",
            prefix: "sweeps/x.json: $: expected valid JSON", fragment: "line 2"),
        Case(
            name: "empty axis", text: #"{ "name": "x", "grid": [{ "path": "target.width", "values": [] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].values: expected a non-empty array of values, found an empty array"),
        Case(
            name: "duplicate values", text: #"{ "name": "x", "grid": [{ "path": "target.weightDecay", "values": [1, 0.5, 1.0] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].values[2]: expected distinct values", fragment: "same as $.grid[0].values[0]"),
        Case(
            name: "zip length mismatch",
            text: """
                { "name": "x", "grid": [{ "zip": [ { "path": "target.width", "values": [64, 128] },
                                                   { "path": "target.depth", "values": [1] } ] }] }
                """, prefix: "sweeps/x.json: $.grid[0].zip[1].values: expected 2 values, as many as $.grid[0].zip[0].values, found 1"),
        Case(
            name: "wrong value type", text: #"{ "name": "x", \#(axisOnWeightDecay)[0.1, 1, "abc"] }] }"#,
            prefix: #"sweeps/x.json: $.grid[1].values[2]: expected a number, found "abc""#),
        Case(
            name: "value out of range", text: #"{ "name": "x", \#(axisOnWeightDecay)[0.1, -1] }] }"#,
            prefix: "sweeps/x.json: $.grid[1].values[1]: expected a number ≥ 0, found -1"),
        Case(
            name: "path naming no field", text: #"{ "name": "x", "grid": [{ "path": "target.weightDecy", "values": [1] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].path: expected a known trial field", fragment: #"weightDecay"#),
        Case(
            name: "unknown key inside an object value",
            text: #"{ "name": "x", "grid": [{ "path": "target", "values": [{ "width": 64 }, { "widht": 64 }] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].values[1].widht: expected a known trial field"),
        Case(
            name: "invalid base", text: #"{ "name": "x", "base": { "task": { "modulus": 1 } } }"#,
            prefix: "sweeps/x.json: $.base.task.modulus: expected an integer in 2...2000, found 1"),
        Case(
            name: "invalid shorthand", text: #"{ "name": "x", "budget": "lots" }"#,
            prefix: #"sweeps/x.json: $.budget: expected a number, found "lots""#),
        Case(
            name: "shorthand and base both set", text: #"{ "name": "x", "base": { "budget": 10 }, "budget": 10 }"#,
            prefix: "sweeps/x.json: $.budget: expected budget set once"),
        Case(
            name: "path through a number", text: #"{ "name": "x", "grid": [{ "path": "budget.steps", "values": [1] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].path: expected a path through objects of the trial config",
            fragment: #"found "budget.steps""#),
        Case(
            name: "path through a number set in base",
            text: #"{ "name": "x", "budget": 5, "grid": [{ "path": "budget.steps", "values": [1] }] }"#,
            prefix: #"sweeps/x.json: $.grid[0].path: expected a path through objects of the trial config, found "budget" is a number"#),
        Case(
            name: "seed as an axis", text: #"{ "name": "x", "grid": [{ "path": "seed", "values": [1, 2] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].path: expected a trial field other than seed"),
        Case(
            name: "malformed path", text: #"{ "name": "x", "grid": [{ "path": "target..width", "values": [1] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].path: expected a dotted path"),
        Case(
            name: "unknown grid entry shape", text: #"{ "name": "x", "grid": [{ "paths": "target.width" }] }"#,
            prefix: #"sweeps/x.json: $.grid[0]: expected an axis {"path", "values"}"#),
        Case(
            name: "overlapping axes",
            text: """
                { "name": "x", "grid": [{ "path": "target", "values": [{ "width": 64 }] },
                                        { "path": "target.width", "values": [128] }] }
                """, prefix: "sweeps/x.json: $.grid[1].path: expected a path no other axis of the same trial sets"),
        Case(
            name: "empty branch", text: #"{ "name": "x", "grid": [{ "variants": [{}] }] }"#,
            prefix: "sweeps/x.json: $.grid[0].variants[0]: expected a branch"),
        Case(
            name: "method that does not exist",
            text: """
                { "name": "x", "grid": [{ "variants": [ { "set": { "method": "scratch" } },
                                                        { "set": { "method": "telepathy" } } ] }] }
                """, prefix: #"sweeps/x.json: $.grid[0].variants[1].set.method: expected one of "scratch""#),
        Case(
            name: "dotted key in a branch",
            text: """
                { "name": "x", "grid": [{ "variants": [ { "set": { "target.width": 0 } } ] }] }
                """, prefix: #"sweeps/x.json: $.grid[0].variants[0].set["target.width"]: expected an integer in 1...65536, found 0"#),
        Case(
            name: "duplicate trials across branches",
            text: """
                { "name": "x", "grid": [{ "variants": [ { "set": { "target.weightDecay": 1 } },
                                                        { "set": { "target.width": 512 } } ] }] }
                """, prefix: "sweeps/x.json: $.grid: expected every cell to be a different trial config"),
        Case(
            name: "negative seed", text: #"{ "name": "x", "seeds": [0, -1] }"#,
            prefix: "sweeps/x.json: $.seeds[1]: expected an integer ≥ 0, found -1"),
        Case(
            name: "duplicate seed", text: #"{ "name": "x", "seeds": [0, 1, 0] }"#,
            prefix: "sweeps/x.json: $.seeds[2]: expected distinct seeds"),
        Case(
            name: "seed count zero", text: #"{ "name": "x", "seeds": { "count": 0 } }"#,
            prefix: "sweeps/x.json: $.seeds.count: expected an integer ≥ 1, found 0"),
        Case(
            name: "baseline on a non-axis", text: #"{ "name": "x", "baseline": { "target.width": 64 } }"#,
            prefix: #"sweeps/x.json: $.baseline["target.width"]: expected an axis path of the grid"#),
        Case(
            name: "baseline value not on the axis",
            text: #"{ "name": "x", "grid": [{ "path": "target.width", "values": [64] }], "baseline": { "target.width": 65 } }"#,
            prefix: #"sweeps/x.json: $.baseline["target.width"]: expected one of the axis values (64), found 65"#),
        Case(
            name: "heatmap on a non-axis",
            text:
                #"{ "name": "x", "grid": [{ "path": "target.width", "values": [64] }], "report": { "heatmap": ["target.width", "budget"] } }"#,
            prefix: "sweeps/x.json: $.report.heatmap[1]: expected an axis path of the grid"),
    ]

    @Test(arguments: cases)
    func errorNamesFilePathAndExpectation(_ errorCase: Case) {
        do {
            let plan = try expandSweep(errorCase.text)
            Issue.record("expected an error, got \(plan.trials.count) trials")
        } catch let error as ConfigError {
            #expect(error.file == "sweeps/x.json")
            #expect(error.description.hasPrefix(errorCase.prefix), "\(error.description)")
            if !errorCase.fragment.isEmpty {
                #expect(error.description.contains(errorCase.fragment), "\(error.description)")
            }
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("expected a ConfigError, got \(error)")
        }
    }

    @Test func missingFileIsOneClearError() {
        #expect {
            try SweepPlan.load(path: "sweeps/does-not-exist.json")
        } throws: { error in
            "\(error)" == "sweeps/does-not-exist.json: $: expected a readable sweep file, found no such file"
        }
    }
}
