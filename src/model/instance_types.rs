//! The vCPU and memory of the common ECS instance types, for the CPU:memory ratio check of
//! pinned node pool types ([`crate::rules::RuleId::SizingInstanceRatio`]) and the capacity
//! they give.
//!
//! Source: the ECS instance family pages, which list each enterprise-level x86 family's
//! sizes with their vCPUs and memory: general-purpose `g` families have 4 GiB per vCPU,
//! compute-optimized `c` families 2 GiB, memory-optimized `r` families 8 GiB, and a size
//! `large` has 2 vCPUs, `xlarge` 4 and `<n>xlarge` 4·n
//! (<https://www.alibabacloud.com/help/en/ecs/user-guide/overview-of-instance-families>,
//! <https://www.alibabacloud.com/help/en/ecs/user-guide/instance-family>). A type outside
//! this table is reported as one whose ratio cannot be checked, never guessed.

/// The families this table knows, with their GiB per vCPU.
pub const FAMILIES: &[(&str, u32)] = &[
    ("g6", 4),
    ("g7", 4),
    ("g8i", 4),
    ("g8a", 4),
    ("c6", 2),
    ("c7", 2),
    ("c8i", 2),
    ("c8a", 2),
    ("r6", 8),
    ("r7", 8),
    ("r8i", 8),
    ("r8a", 8),
];

/// The sizes this table knows, with their vCPUs. Not every family sells every size (the
/// cloud refuses a missing one when the pool is created); the shape of a size is the same
/// in every family.
pub const SIZES: &[(&str, u32)] = &[
    ("large", 2),
    ("xlarge", 4),
    ("2xlarge", 8),
    ("3xlarge", 12),
    ("4xlarge", 16),
    ("6xlarge", 24),
    ("8xlarge", 32),
    ("12xlarge", 48),
    ("16xlarge", 64),
];

/// An instance type's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub vcpu: u32,
    pub memory_gib: u32,
}

impl Shape {
    /// GiB per vCPU, as the `1:n` of a ratio (rounded down; the table's are exact).
    pub fn gib_per_vcpu(self) -> u32 {
        self.memory_gib / self.vcpu.max(1)
    }
}

/// The shape of `ecs.<family>.<size>` when the table knows it.
pub fn shape(instance_type: &str) -> Option<Shape> {
    let rest = instance_type.strip_prefix("ecs.")?;
    let (family, size) = rest.split_once('.')?;
    let (_, gib) = FAMILIES.iter().find(|(f, _)| *f == family)?;
    let (_, vcpu) = SIZES.iter().find(|(s, _)| *s == size)?;
    Some(Shape {
        vcpu: *vcpu,
        memory_gib: vcpu * gib,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_have_their_published_shape() {
        assert_eq!(
            shape("ecs.r7.4xlarge"),
            Some(Shape {
                vcpu: 16,
                memory_gib: 128
            })
        );
        assert_eq!(
            shape("ecs.c7.4xlarge"),
            Some(Shape {
                vcpu: 16,
                memory_gib: 32
            })
        );
        assert_eq!(shape("ecs.g8i.large").map(|s| s.memory_gib), Some(8));
        assert_eq!(shape("ecs.g7.4xlarge").map(Shape::gib_per_vcpu), Some(4));
    }

    #[test]
    fn unknown_types_are_not_guessed() {
        for unknown in [
            "ecs.g7ne.4xlarge",
            "ecs.r7.5xlarge",
            "r7.4xlarge",
            "ecs.r7",
            "",
        ] {
            assert_eq!(shape(unknown), None, "{unknown}");
        }
    }
}
