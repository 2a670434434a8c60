//! The parameters of a fit (`phasic::demes::Parameters`): options files in
//! the format of `moments.Demes.Inference`, bound to Demes models (start
//! values resolved, in the file's units), values written back into the
//! model, bounds and constraints, and every error naming the entry and
//! the value.

use phasic::demes::{Bound, Constraint, DemesError, Field, Parameters};

const BOTTLENECK: &str = "
time_units: generations
demes:
  - name: A
    epochs:
      - {start_size: 10000, end_time: 500}
      - {start_size: 1000, end_time: 200}
      - {start_size: 10000}
";

const BOTTLENECK_OPTIONS: &str = "
parameters:
- name: NB
  description: bottleneck size
  values:
  - demes:
      A:
        epochs:
          1: start_size
  lower_bound: 10
  upper_bound: 1e5
- name: TB
  description: start of the bottleneck
  values:
  - demes:
      A:
        epochs:
          0: end_time
- name: TE
  description: end of the bottleneck
  values:
  - demes:
      A:
        epochs:
          1: end_time
constraints:
- params: [TB, TE]
  constraint: greater_than
";

/// Two demes split from X at 1000 generations, with symmetric migration
/// and a pulse from A into B.
const SPLIT: &str = "
time_units: generations
demes:
  - name: X
    epochs:
      - {start_size: 2000, end_time: 1000}
  - name: A
    ancestors: [X]
    epochs:
      - {start_size: 1000}
  - name: B
    ancestors: [X]
    epochs:
      - {start_size: 500}
migrations:
  - {demes: [A, B], rate: 1e-4}
pulses:
  - {sources: [A], dest: B, time: 100, proportions: [0.1]}
";

const SPLIT_OPTIONS: &str = "
parameters:
- name: T
  values:
  - demes: {X: {epochs: {0: end_time}}}
- name: m
  upper_bound: 1e-2
  values:
  - migrations: {0: rate}
- name: p
  upper_bound: 1
  values:
  - pulses: {0: proportions}
- name: tp
  values:
  - pulses: {0: time}
constraints:
- params: [tp, T]
  constraint: less_than
";

fn bind(options: &str, model: &str) -> Bound {
    Parameters::from_yaml(options)
        .unwrap()
        .bind(model)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn f(graph: &demes::Graph, deme: &str) -> Vec<(f64, f64, f64)> {
    graph
        .get_deme(deme)
        .unwrap()
        .epochs()
        .iter()
        .map(|e| {
            (
                f64::from(e.start_size()),
                f64::from(e.end_size()),
                f64::from(e.end_time()),
            )
        })
        .collect()
}

#[test]
fn a_bottleneck_starts_at_the_models_values_and_applies_new_ones() {
    let b = bind(BOTTLENECK_OPTIONS, BOTTLENECK);
    assert_eq!(b.names(), ["NB", "TB", "TE"]);
    assert_eq!(b.start(), [1000.0, 500.0, 200.0]);
    assert_eq!(b.lower(), [10.0, 0.0, 0.0]);
    assert_eq!(b.upper(), [1e5, f64::INFINITY, f64::INFINITY]);
    assert_eq!(
        b.constraints(),
        [Constraint {
            greater: 1,
            lesser: 2
        }]
    );
    assert_eq!(b.time_units(), "generations");
    b.check(b.start()).unwrap();
    let (yaml, graph) = b.apply(&[250.0, 800.0, 100.0]).unwrap();
    assert_eq!(
        f(&graph, "A"),
        [
            (10000.0, 10000.0, 800.0),
            (250.0, 250.0, 100.0),
            (10000.0, 10000.0, 0.0)
        ]
    );
    // the written file reads back to the same values
    assert_eq!(f(&demes::loads(&yaml).unwrap(), "A"), f(&graph, "A"));
    // applying the start gives the model itself
    let (_, same) = b.apply(b.start()).unwrap();
    assert_eq!(f(&same, "A"), f(&demes::loads(BOTTLENECK).unwrap(), "A"));
}

#[test]
fn an_implicit_end_size_is_read_resolved_and_written_out() {
    let options = "
parameters:
- name: NF
  values:
  - demes: {A: {epochs: {-1: end_size}}}
";
    let b = bind(options, BOTTLENECK);
    // no end_size in the file: it is the epoch's start_size
    assert_eq!(b.start(), [10000.0]);
    assert_eq!(
        b.values(0).unwrap(),
        [Field::EpochEndSize {
            deme: "A".into(),
            epoch: 2
        }]
    );
    assert!(b.values(1).is_none());
    let (yaml, graph) = b.apply(&[40000.0]).unwrap();
    assert!(yaml.contains("end_size: 40000"), "{yaml}");
    assert_eq!(f(&graph, "A")[2], (10000.0, 40000.0, 0.0));
}

#[test]
fn times_are_in_the_files_units() {
    let model = "
time_units: years
generation_time: 25
demes:
  - name: A
    epochs:
      - {start_size: 10000, end_time: 25000}
      - {start_size: 2000}
";
    let options = "
parameters:
- name: T
  values:
  - demes: {A: {epochs: {0: end_time}}}
";
    let b = bind(options, model);
    assert_eq!(b.start(), [25000.0]);
    assert_eq!(b.time_units(), "years");
    let (_, graph) = b.apply(&[50000.0]).unwrap();
    assert_eq!(f(&graph, "A")[0].2, 50000.0);
    let generations = graph.into_generations().unwrap();
    assert_eq!(f(&generations, "A")[0].2, 2000.0);
}

#[test]
fn a_split_with_symmetric_migration_and_a_pulse() {
    let b = bind(SPLIT_OPTIONS, SPLIT);
    assert_eq!(b.names(), ["T", "m", "p", "tp"]);
    assert_eq!(b.start(), [1000.0, 1e-4, 0.1, 100.0]);
    assert_eq!(
        b.constraints(),
        [Constraint {
            greater: 0,
            lesser: 3
        }]
    );
    assert_eq!(
        b.values(2).unwrap(),
        [Field::PulseProportion {
            index: 0,
            source: Some(0)
        }]
    );
    let (_, graph) = b.apply(&[1500.0, 2e-4, 0.25, 50.0]).unwrap();
    // the split moved: X ends and A, B begin at 1500
    assert_eq!(f(&graph, "X")[0].2, 1500.0);
    for d in ["A", "B"] {
        assert_eq!(f64::from(graph.get_deme(d).unwrap().start_time()), 1500.0);
    }
    // the symmetric migration is two migrations, both at the new rate
    let m: Vec<(String, String, f64, f64)> = graph
        .migrations()
        .iter()
        .map(|m| {
            (
                m.source().to_string(),
                m.dest().to_string(),
                f64::from(m.rate()),
                f64::from(m.start_time()),
            )
        })
        .collect();
    assert_eq!(
        m,
        [
            ("A".into(), "B".into(), 2e-4, 1500.0),
            ("B".into(), "A".into(), 2e-4, 1500.0)
        ]
    );
    let pulse = &graph.pulses()[0];
    assert_eq!(f64::from(pulse.time()), 50.0);
    let props: Vec<f64> = pulse.proportions().iter().map(|&p| f64::from(p)).collect();
    assert_eq!(props, [0.25]);
}

#[test]
fn migration_times_are_resolved() {
    let options = "
parameters:
- name: ms
  values:
  - migrations: {0: start_time}
- name: me
  values:
  - migrations: {0: end_time}
";
    let b = bind(options, SPLIT);
    // implicit: while both demes exist, from their start (1000) to 0
    assert_eq!(b.start(), [1000.0, 0.0]);
    let (yaml, graph) = b.apply(&[600.0, 20.0]).unwrap();
    assert!(yaml.contains("start_time: 600"), "{yaml}");
    for m in graph.migrations() {
        assert_eq!(
            (f64::from(m.start_time()), f64::from(m.end_time())),
            (600.0, 20.0)
        );
    }
}

/// An admixed deme with two ancestors and a pulse of two sources.
const ADMIXED: &str = "
time_units: generations
demes:
  - name: X
    epochs: [{start_size: 1000, end_time: 500}]
  - name: A
    ancestors: [X]
    epochs: [{start_size: 1000}]
  - name: B
    ancestors: [X]
    epochs: [{start_size: 1000}]
  - name: C
    ancestors: [A, B]
    proportions: [0.3, 0.7]
    start_time: 200
    epochs: [{start_size: 1000}]
pulses:
  - {sources: [A, B], dest: C, time: 50, proportions: [0.1, 0.2]}
  - {sources: [A], dest: B, time: 150, proportions: [0.05]}
";

#[test]
fn proportions_of_several_sources_and_pulses_in_the_files_order() {
    let options = "
parameters:
- name: q
  upper_bound: 1
  values:
  - demes: {C: {proportions: 0}}
- name: s
  upper_bound: 1
  values:
  - pulses: {0: {proportions: -1}}
- name: t0
  values:
  - pulses: {0: time}
- name: t1
  values:
  - pulses: {1: time}
- name: tc
  values:
  - demes: {C: start_time}
";
    let b = bind(options, ADMIXED);
    // pulses are addressed in the file's order (Demes sorts them by time)
    assert_eq!(b.start(), [0.3, 0.2, 50.0, 150.0, 200.0]);
    assert_eq!(
        b.values(1).unwrap(),
        [Field::PulseProportion {
            index: 0,
            source: Some(1)
        }]
    );
    let (_, graph) = b.apply(&[0.4, 0.05, 60.0, 120.0, 300.0]).unwrap();
    let c = graph.get_deme("C").unwrap();
    let props: Vec<f64> = c.proportions().iter().map(|&p| f64::from(p)).collect();
    // the last proportion is 1 minus the others
    assert_eq!(props, [0.4, 0.6]);
    assert_eq!(f64::from(c.start_time()), 300.0);
    let pulses: Vec<(f64, String, Vec<f64>)> = graph
        .pulses()
        .iter()
        .map(|p| {
            (
                f64::from(p.time()),
                p.dest().to_string(),
                p.proportions().iter().map(|&x| f64::from(x)).collect(),
            )
        })
        .collect();
    assert_eq!(
        pulses,
        [
            (120.0, "B".to_string(), vec![0.05]),
            (60.0, "C".to_string(), vec![0.1, 0.05])
        ]
    );
}

#[test]
fn epochs_made_by_defaults_are_written_out() {
    let model = "
time_units: generations
defaults:
  epoch: {start_size: 1000}
demes:
  - name: A
";
    let options = "
parameters:
- name: N
  values:
  - demes: {A: {epochs: {0: start_size}}}
";
    let b = bind(options, model);
    assert_eq!(b.start(), [1000.0]);
    let (_, graph) = b.apply(&[3000.0]).unwrap();
    assert_eq!(f(&graph, "A"), [(3000.0, 3000.0, 0.0)]);
}

/// The Out-of-Africa model of Gutenkunst et al. (2009), as the Demes
/// gallery writes it, with an options file of the kind moments' example
/// fits (several demes per parameter, symmetric migrations by index).
#[test]
fn an_out_of_africa_model_with_a_moments_options_file() {
    let model = "
time_units: years
generation_time: 25
demes:
- name: ancestral
  epochs:
  - {end_time: 220e3, start_size: 7300}
- name: AMH
  ancestors: [ancestral]
  epochs:
  - {end_time: 140e3, start_size: 12300}
- name: OOA
  ancestors: [AMH]
  epochs:
  - {end_time: 21.2e3, start_size: 2100}
- name: YRI
  ancestors: [AMH]
  epochs:
  - start_size: 12300
- name: CEU
  ancestors: [OOA]
  epochs:
  - {start_size: 1000, end_size: 29725}
- name: CHB
  ancestors: [OOA]
  epochs:
  - {start_size: 510, end_size: 54090}
migrations:
- {demes: [YRI, OOA], rate: 25e-5}
- {demes: [YRI, CEU], rate: 3e-5}
- {demes: [YRI, CHB], rate: 1.9e-5}
- {demes: [CEU, CHB], rate: 9.6e-5}
";
    let options = "
uL: 0.36
parameters:
- name: TA
  description: Time before present of ancestral expansion
  values:
  - demes:
      ancestral:
        epochs:
          0: end_time
- name: TF
  description: Time of CEU-CHB split
  upper_bound: 50000
  lower_bound: 0
  values:
  - demes:
      OOA:
        epochs:
          0: end_time
- name: N_A
  description: Expansion size
  values:
  - demes:
      AMH:
        epochs:
          0: start_size
      YRI:
        epochs:
          0: start_size
- name: N_EuF
  values:
  - demes:
      CEU:
        epochs:
          0: end_size
- name: m_Eu_As
  upper_bound: 1e-3
  values:
  - migrations:
      3: rate
constraints:
- params: [TA, TF]
  constraint: greater_than
";
    let params = Parameters::from_yaml(options).unwrap();
    assert_eq!(params.ignored(), ["top-level key `uL`"]);
    let b = params.bind(model).unwrap();
    assert_eq!(b.start(), [220e3, 21.2e3, 12300.0, 29725.0, 9.6e-5]);
    assert_eq!(b.time_units(), "years");
    let (_, graph) = b.apply(&[200e3, 30e3, 15000.0, 30000.0, 2e-4]).unwrap();
    assert_eq!(f(&graph, "YRI"), [(15000.0, 15000.0, 0.0)]);
    assert_eq!(f(&graph, "AMH"), [(15000.0, 15000.0, 140e3)]);
    assert_eq!(f(&graph, "CEU"), [(1000.0, 30000.0, 0.0)]);
    assert_eq!(f(&graph, "ancestral")[0].2, 200e3);
    assert_eq!(f64::from(graph.get_deme("CEU").unwrap().start_time()), 30e3);
    let rates: Vec<f64> = graph
        .migrations()
        .iter()
        .map(|m| f64::from(m.rate()))
        .collect();
    assert_eq!(
        rates,
        [25e-5, 25e-5, 3e-5, 3e-5, 1.9e-5, 1.9e-5, 2e-4, 2e-4]
    );
}

fn read_error(options: &str) -> String {
    match Parameters::from_yaml(options) {
        Err(e @ DemesError::BadOptions { .. }) => e.to_string(),
        other => panic!("expected an options error, got {other:?}"),
    }
}

fn bind_error(options: &str, model: &str) -> String {
    match Parameters::from_yaml(options).unwrap().bind(model) {
        Err(e @ DemesError::BadOptions { .. }) => e.to_string(),
        other => panic!("expected an options error, got {other:?}"),
    }
}

fn contains_all(e: &str, parts: &[&str], what: &str) {
    for p in parts {
        assert!(e.contains(p), "{what}: `{e}` should contain `{p}`");
    }
}

/// One parameter `T` with the `values` entry `path`.
fn one(path: &str) -> String {
    format!("parameters:\n- name: T\n  values:\n  - {path}\n")
}

#[test]
fn every_reading_error_names_the_entry_and_the_value() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "parameters:\n- name: [T\n".into(),
            vec!["options file, text", "not YAML", "line"],
        ),
        ("".into(), vec!["text", "empty", "`parameters`"]),
        (
            "constraints: []\nuL: 1\n".into(),
            vec!["no `parameters` list", "`constraints`, `uL`"],
        ),
        ("parameters: []\n".into(), vec!["parameters", "empty"]),
        (
            "parameters: 3\n".into(),
            vec!["parameters", "`3` is not a list"],
        ),
        (
            "parameters:\n- values: [{demes: {A: start_time}}]\n".into(),
            vec!["parameters[0]", "has no `name`"],
        ),
        (
            "parameters:\n- name: T\n  values: [{demes: {A: start_time}}]\n- name: T\n  values: [{demes: {B: start_time}}]\n".into(),
            vec!["parameters[1]", "`T`", "parameters[0]"],
        ),
        (
            "parameters:\n- name: T\n".into(),
            vec!["parameter `T`", "`values` is missing"],
        ),
        (
            "parameters:\n- name: T\n  values: []\n".into(),
            vec!["parameter `T`", "`values` is empty"],
        ),
        (
            one("demez: {A: start_time}"),
            vec!["parameter `T`, values[0]", "unknown key `demez`", "`demes`, `migrations` or `pulses`"],
        ),
        (
            one("demes: {A: {epochs: {0: start_sizes}}}"),
            vec!["parameter `T`, values[0]", "unknown field `start_sizes`", "deme `A`'s epoch 0"],
        ),
        (
            one("demes: {A: {epochs: {first: start_size}}}"),
            vec!["epoch index `first` is not an integer"],
        ),
        (
            one("demes: {A: end_time}"),
            vec!["deme `A`", "`end_time` cannot be fit"],
        ),
        (
            one("demes: {A: {sizes: 1}}"),
            vec!["deme `A`", "unknown key `sizes`"],
        ),
        (
            one("migrations: {0: rates}"),
            vec!["unknown field `rates` of migration 0"],
        ),
        (
            one("pulses: {0: sources}"),
            vec!["unknown field `sources` of pulse 0"],
        ),
        (
            one("pulses: {0: {dest: 0}}"),
            vec!["pulse 0: unknown key `dest`"],
        ),
        (
            one("demes: {}"),
            vec!["`demes` is an empty mapping"],
        ),
        (
            "parameters:\n- name: T\n  lower_bound: 10\n  upper_bound: 5\n  values: [{demes: {A: start_time}}]\n".into(),
            vec!["parameter `T`", "lower_bound 10 is not below upper_bound 5"],
        ),
        (
            "parameters:\n- name: T\n  lower_bound: ten\n  values: [{demes: {A: start_time}}]\n".into(),
            vec!["parameter `T`", "lower_bound `ten` is not a number"],
        ),
        (
            "parameters:\n- name: T\n  upper_bound: '1e3'\n  values: [{demes: {A: start_time}}]\n".into(),
            vec!["parameter `T`", "upper_bound `1e3` is not a number"],
        ),
        (
            format!("{}constraints:\n- params: [T, TX]\n  constraint: greater_than\n", one("demes: {A: start_time}")),
            vec!["constraints[0]", "`TX`", "the parameters are: T"],
        ),
        (
            format!("{}constraints:\n- params: [T, T]\n  constraint: bigger\n", one("demes: {A: start_time}")),
            vec!["constraints[0]", "`bigger` is not `greater_than` or `less_than`"],
        ),
        (
            format!("{}constraints:\n- params: [T]\n  constraint: less_than\n", one("demes: {A: start_time}")),
            vec!["constraints[0]", "`params` lists 1 name"],
        ),
    ];
    for (text, parts) in &cases {
        contains_all(&read_error(text), parts, text);
    }
}

#[test]
fn every_binding_error_names_the_parameter_the_path_and_the_value() {
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            one("demes: {Z: start_time}"),
            BOTTLENECK,
            vec!["parameter `T`, demes.Z.start_time", "no deme `Z`", "its demes are: A"],
        ),
        (
            one("demes: {A: {epochs: {3: start_size}}}"),
            BOTTLENECK,
            vec![
                "parameter `T`, demes.A.epochs[3].start_size",
                "epoch 3 is out of range",
                "deme `A` has 3 epochs, numbered 0 to 2",
            ],
        ),
        (
            one("demes: {A: {epochs: {-4: start_size}}}"),
            BOTTLENECK,
            vec!["epoch -4 is out of range", "3 epochs"],
        ),
        (
            one("migrations: {1: rate}"),
            SPLIT,
            vec![
                "parameter `T`, migrations[1].rate",
                "migration 1 is out of range",
                "the model has 1 migration, numbered 0",
            ],
        ),
        (
            one("migrations: {0: rate}"),
            BOTTLENECK,
            vec!["migration 0 is out of range", "the model has no migrations"],
        ),
        (
            one("pulses: {2: time}"),
            ADMIXED,
            vec![
                "parameter `T`, pulses[2].time",
                "pulse 2 is out of range",
                "the model has 2 pulses, numbered 0 to 1",
            ],
        ),
        (
            one("pulses: {0: {proportions: 2}}"),
            ADMIXED,
            vec!["source 2 is out of range", "pulse 0 has 2 sources", "(A, B)"],
        ),
        (
            one("pulses: {0: proportions}"),
            ADMIXED,
            vec!["pulses[0].proportions", "pulse 0 has 2 sources (A, B)", "{proportions: k}"],
        ),
        (
            one("demes: {C: {proportions: 1}}"),
            ADMIXED,
            vec!["demes.C.proportions[1]", "proportion 1 is deme `C`'s last"],
        ),
        (
            one("demes: {A: {proportions: 0}}"),
            ADMIXED,
            vec!["demes.A.proportions[0]", "deme `A` has 1 ancestor"],
        ),
        (
            one("demes: {A: {epochs: {0: start_size}}, B: {epochs: {0: start_size}}}"),
            SPLIT,
            vec![
                "parameter `T`",
                "different values in the model",
                "demes.A.epochs[0].start_size = 1000",
                "demes.B.epochs[0].start_size = 500",
            ],
        ),
        (
            one("demes: {X: start_time}"),
            SPLIT,
            vec!["parameter `T`", "demes.X.start_time is inf", "finite"],
        ),
        (
            "parameters:\n- name: N\n  lower_bound: 2000\n  values: [{demes: {A: {epochs: {1: start_size}}}}]\n".into(),
            BOTTLENECK,
            vec!["parameter `N`", "the model's value 1000 is outside its bounds [2000, inf]"],
        ),
        (
            "parameters:\n- name: N\n  values: [{demes: {A: {epochs: {1: start_size}}}}]\n- name: M\n  values: [{demes: {A: {epochs: {-2: start_size}}}}]\n".into(),
            BOTTLENECK,
            vec!["parameter `M`, demes.A.epochs[-2].start_size", "demes.A.epochs[1].start_size is also set by parameter `N`"],
        ),
    ];
    for (options, model, parts) in &cases {
        contains_all(&bind_error(options, model), parts, options);
    }
    // a model that is not valid Demes is refused with the demes crate's message
    let e = Parameters::from_yaml(BOTTLENECK_OPTIONS)
        .unwrap()
        .bind("demes: []\n")
        .unwrap_err();
    assert!(matches!(e, DemesError::Invalid(_)), "{e:?}");
}

#[test]
fn symmetric_migration_pairs_with_different_times_are_refused() {
    // A and B begin at 300, C at 200: the pairs' implicit start times differ
    let model = "
time_units: generations
demes:
  - name: X
    epochs: [{start_size: 1000, end_time: 300}]
  - name: A
    ancestors: [X]
    epochs: [{start_size: 1000}]
  - name: B
    ancestors: [X]
    epochs: [{start_size: 1000}]
  - name: C
    ancestors: [A]
    start_time: 200
    epochs: [{start_size: 1000}]
migrations:
  - {demes: [A, B, C], rate: 1e-4}
";
    let e = bind_error(&one("migrations: {0: start_time}"), model);
    contains_all(
        &e,
        &[
            "parameter `T`, migrations[0].start_time",
            "different start_times",
            "A→B 300",
            "A→C 200",
            "write its start_time in the model",
        ],
        "symmetric",
    );
    // its rate is one, and sets all six pairs
    let b = bind(&one("migrations: {0: rate}"), model);
    assert_eq!(b.start(), [1e-4]);
    let (_, graph) = b.apply(&[3e-4]).unwrap();
    assert_eq!(graph.migrations().len(), 6);
    assert!(
        graph
            .migrations()
            .iter()
            .all(|m| f64::from(m.rate()) == 3e-4)
    );
}

#[test]
fn checks_name_the_parameter_and_the_value() {
    let b = bind(BOTTLENECK_OPTIONS, BOTTLENECK);
    let e = b.check(&[1000.0, 500.0]).unwrap_err().to_string();
    contains_all(
        &e,
        &["2 parameter values given", "3 parameters (NB, TB, TE)"],
        "length",
    );
    let e = b.apply(&[1000.0]).unwrap_err().to_string();
    contains_all(&e, &["1 parameter values given"], "apply length");
    let e = b.check(&[5.0, 500.0, 200.0]).unwrap_err().to_string();
    assert_eq!(e, "parameter `NB` = 5 is outside its bounds [10, 100000]");
    let e = b.check(&[1000.0, -1.0, 200.0]).unwrap_err().to_string();
    contains_all(&e, &["`TB` = -1", "[0, inf]"], "lower bound 0");
    let e = b.check(&[f64::NAN, 500.0, 200.0]).unwrap_err().to_string();
    contains_all(&e, &["`NB` = NaN"], "NaN");
    // bounds are inclusive
    b.check(&[10.0, 500.0, 200.0]).unwrap();
    b.check(&[1e5, 500.0, 200.0]).unwrap();
    let e = b.check(&[1000.0, 100.0, 800.0]).unwrap_err().to_string();
    assert_eq!(
        e,
        "constraints[0]: `TB` = 100 must be greater than `TE` = 800"
    );
    // strictly: a tie breaks it
    assert!(matches!(
        b.check(&[1000.0, 300.0, 300.0]),
        Err(DemesError::ConstraintViolated { index: 0, .. })
    ));
    // less_than reverses the pair
    let s = bind(SPLIT_OPTIONS, SPLIT);
    let e = s.check(&[100.0, 1e-4, 0.1, 150.0]).unwrap_err().to_string();
    assert_eq!(
        e,
        "constraints[0]: `T` = 100 must be greater than `tp` = 150"
    );
}

#[test]
fn values_that_make_the_model_invalid_are_refused_naming_them() {
    let b = bind(BOTTLENECK_OPTIONS, BOTTLENECK);
    // the bottleneck ends before it begins
    let e = b.apply(&[300.0, 100.0, 800.0]).unwrap_err();
    assert!(matches!(e, DemesError::Applied { .. }), "{e:?}");
    contains_all(
        &e.to_string(),
        &["with NB = 300, TB = 100, TE = 800", "not valid"],
        "applied",
    );
    let e = b.apply(&[-5.0, 500.0, 200.0]).unwrap_err().to_string();
    contains_all(&e, &["NB = -5", "not valid"], "negative size");
}

#[test]
fn keys_moments_does_not_read_are_passed_over_and_listed() {
    let options = "
uL: 0.36
parameters:
- name: T
  lower_bounds: 5
  values: [{demes: {A: {epochs: {0: end_time}}}}]
constraints:
- params: [T, T]
  constraint: greater_than
  note: silly
";
    let p = Parameters::from_yaml(options).unwrap();
    assert_eq!(
        p.ignored(),
        [
            "top-level key `uL`",
            "parameter `T`: key `lower_bounds`",
            "constraints[0]: key `note`"
        ]
    );
    // the misspelt bound is not read: the default 0 holds
    assert_eq!(p.parameters()[0].lower_bound, 0.0);
}
