//! The generators' first outputs, pinned: a change of generator, of key derivation or of the
//! rand crates' algorithms changes every result, and must be a deliberate change of this file.

use dcplan_sim::dist::open_unit;
use dcplan_sim::rng::{KeyedStreams, Stream, parameter_rng, stream_rng};
use rand::Rng;

#[test]
fn generator_outputs_are_pinned() {
    assert_eq!(
        stream_rng(1, 0, Stream::Demand).next_u64(),
        0x2c3d_2d56_1480_a8ce
    );
    assert_eq!(
        stream_rng(7, 3, Stream::Failures).next_u64(),
        0x4e4f_c067_3bcf_fa2d
    );
    assert_eq!(
        parameter_rng(1, 0, "fleet[0].gpus").next_u64(),
        0xb4f3_829c_6338_9957
    );
    assert_eq!(
        KeyedStreams::new(1, 0, Stream::Failures).rng(5).next_u64(),
        0x28cf_8c03_281e_2b90
    );
    assert_eq!(
        KeyedStreams::new(1, 0, Stream::Customers)
            .rng_at(1 << 63, 2)
            .next_u64(),
        0x949c_f1ee_8cad_0e38
    );
}

#[test]
fn unit_draws_are_pinned() {
    let mut rng = stream_rng(1, 0, Stream::Demand);
    let u: Vec<u64> = (0..3).map(|_| open_unit(&mut rng).to_bits()).collect();
    assert_eq!(
        u,
        [
            0x3fc6_1e96_ab0a_4056,
            0x3fe1_f6ce_cc8a_1548,
            0x3fb0_7ebe_0a7a_8fdc
        ]
    );
}
