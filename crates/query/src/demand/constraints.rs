//! The constraints a demand states, checked against a supply's facts (stage 4, the score,
//! weighs them).

use super::*;

/// The constraints a demand states, checked against a supply.
pub(crate) fn check_constraints(demand: &Demand, supply: &SupplyFacts) -> Vec<ConstraintCheck> {
    let mut checks = Vec::new();
    if let Some(sector) = &demand.sector {
        let offered = supply.sector.clone().unwrap_or_default();
        checks.push(ConstraintCheck {
            constraint: "sector",
            met: offered == *sector,
            wanted: sector.clone(),
            offered,
        });
    }
    if let Some(min) = demand.trl_min {
        let offered = supply.trl.map_or("unknown".to_string(), |t| t.to_string());
        checks.push(ConstraintCheck {
            constraint: "trl_min",
            met: supply.trl.is_some_and(|t| t >= min),
            wanted: format!(">= {min}"),
            offered,
        });
    }
    if !demand.transfer.is_empty() {
        let met = supply.transfer.iter().any(|m| demand.transfer.contains(m));
        checks.push(ConstraintCheck {
            constraint: "transfer",
            met,
            wanted: demand.transfer.join(", "),
            offered: supply.transfer.join(", "),
        });
    }
    if let Some(country) = &demand.country {
        let offered = supply.country.clone().unwrap_or_default();
        checks.push(ConstraintCheck {
            constraint: "country",
            met: offered.eq_ignore_ascii_case(country),
            wanted: country.clone(),
            offered,
        });
    }
    checks
}
