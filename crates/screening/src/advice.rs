//! Requests for personal medical advice ("should I stop my metformin", "my result says … what does
//! it mean"): answered only as a general question on air, with a redirect reply to the asker.
//! The finding carries a suggested general rewording for the moderator.

use crate::text::Lang;
use regex::Regex;
use std::sync::LazyLock;

fn re(p: &str) -> Regex {
    crate::text::pattern(p)
}

/// The kind of individual request: it picks the general rewording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviceTopic {
    Medication,
    Results,
    Symptoms,
    Individual,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceHit {
    pub topic: AdviceTopic,
    pub reason: &'static str,
    pub suggested_text: &'static str,
}

static MEDICATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"should\s+(?:i|he|she|we|my\s+\w+)\s+(?:stop|quit|skip|double|halve|increase|decrease|lower|raise|up|change|switch|keep\s+taking|start|take|go\s+off|come\s+off|cut)|(?:can|could|is\s+it\s+ok(?:ay)?\s+(?:if|to)|is\s+it\s+safe\s+(?:for\s+(?:me|him|her)\s+)?to)\s+(?:i\s+|he\s+|she\s+)?(?:take|mix|stop|skip|drink\s+(?:alcohol|wine|beer)\s+(?:on|with|while))|(?:my|his|her)\s+(?:doctor|dr|doc|cardiologist|pcp|provider)\s+(?:put|prescribed|started|gave|increased|switched|has)\s+(?:me|him|her)\s+(?:on|a)|i(?:'?m|\s+am)\s+(?:on|taking)\s+\d*\s*\w+\s+(?:\d+\s*mg|and|for)|\bi\s+take\s+\w+|\d+\s*mg\b|(?:dose|dosage)\s+of\s+my|debo\s+(?:dejar|suspender|tomar|seguir|cambiar|aumentar|bajar|quitar)|deberia\s+(?:dejar|tomar|seguir|suspender)|puedo\s+(?:tomar|mezclar|dejar|suspender)|(?:mi|su)\s+(?:doctor|doctora|medico|cardiologo)\s+me\s+(?:receto|dio|cambio|subio|puso)|estoy\s+tomando|tomo\s+\w+\s+(?:de\s+)?\d+|me\s+recetaron",
    )
});
static RESULTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:my|his|her|mine)\s+(?:\w+\s+)?(?:results?|labs?|a1c|psa|ldl|hdl|cholesterol|bp|blood\s+pressure|sugar|glucose|numbers|levels?|blood\s*work|test|mri|ct|scan|x-?ray|ekg|ecg|echo|report|reading|biopsy|tsh|creatinine|ejection\s+fraction|ef|potassium|heart\s+rate|pulse|troponin)\s+(?:\w+\s+)?(?:says?|said|shows?|showed|came\s+back|is|was|were|are|of|at|reads?|went)|what\s+does\s+(?:it|this|that|my)\s+(?:\w+\s+)?mean|is\s+(?:that|this|mine|my\s+\w+)\s+(?:normal|bad|dangerous|high|low|ok(?:ay)?|too\s+high|too\s+low)|(?:mis|sus|los)\s+(?:resultados|analisis|estudios|laboratorios|examenes)|mi\s+(?:presion|azucar|glucosa|colesterol|a1c|hemoglobina|electro|ecografia|resonancia)\s+(?:\w+\s+)?(?:salio|salieron|esta|estaba|es|fue|dio|marca)|que\s+significa|es\s+normal\s+(?:mi|que\s+mi|que\s+me)",
    )
});
static SYMPTOMS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:i|he|she|my\s+\w+)\s+(?:have|has|had|been\s+having|keeps?\s+getting|get|gets)\s+(?:\w+\s+){0,4}(?:for|since)\s+(?:\d+|a|two|three|few|several)\s+(?:days?|weeks?|months?)|should\s+(?:i|we|he|she)\s+(?:go\s+to|see|call|get|be\s+worried|worry)|do\s+i\s+(?:need|have)\s+(?:to|a)|am\s+i\s+(?:at\s+risk|having|ok(?:ay)?)|is\s+(?:it|this)\s+(?:serious|something\s+to\s+worry)|(?:tengo|tiene)\s+(?:\w+\s+){0,4}desde\s+hace|debo\s+(?:ir|ver|preocuparme|llamar)|deberia\s+(?:ir|ver|preocuparme)|es\s+grave|me\s+debo\s+preocupar|is\s+it\s+safe\s+for\s+(?:me|him|her|my)|what\s+should\s+(?:we|i)\s+do|que\s+(?:hacemos|hago|debo\s+hacer)|soy\s+diabetic|am\s+i\s+diabetic",
    )
});
static INDIVIDUAL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:can|could)\s+(?:dr|doctor|the\s+doctor|someone|you)\s+(?:\w+\s+)?(?:see|check|look\s+at|call|review)\s+(?:me|my|him|her)|(?:my|mi)\s+(?:case|caso)|in\s+my\s+(?:case|situation)|for\s+me\s+personally|en\s+mi\s+caso|me\s+puede\s+(?:ver|revisar|atender)",
    )
});

/// A personal-advice request in a folded comment, with the general rewording to suggest.
pub fn detect(folded: &str, lang: Lang) -> Option<AdviceHit> {
    let (topic, reason) = if MEDICATION.is_match(folded) {
        (AdviceTopic::Medication, "asks about their own medication")
    } else if RESULTS.is_match(folded) {
        (AdviceTopic::Results, "asks about their own test results")
    } else if INDIVIDUAL.is_match(folded) {
        (AdviceTopic::Individual, "asks about their individual care")
    } else if SYMPTOMS.is_match(folded) {
        (AdviceTopic::Symptoms, "asks what to do about their own symptoms")
    } else {
        return None;
    };
    Some(AdviceHit { topic, reason, suggested_text: suggestion(topic, lang) })
}

/// A general version of the question that a specialist can answer on air.
pub fn suggestion(topic: AdviceTopic, lang: Lang) -> &'static str {
    match (topic, lang) {
        (AdviceTopic::Medication, Lang::En) => {
            "What should people know before changing or stopping a medication, and when should they talk to their doctor?"
        }
        (AdviceTopic::Results, Lang::En) => {
            "How should people read this kind of test result, and when should they follow up with their doctor?"
        }
        (AdviceTopic::Symptoms, Lang::En) => {
            "When are these symptoms a reason to see a doctor, and what are the warning signs?"
        }
        (AdviceTopic::Individual, Lang::En) => {
            "What should people in a similar situation know, and how do they get seen by a specialist?"
        }
        (AdviceTopic::Medication, Lang::Es) => {
            "¿Qué hay que saber antes de cambiar o dejar un medicamento, y cuándo hablar con el médico?"
        }
        (AdviceTopic::Results, Lang::Es) => {
            "¿Cómo se interpreta este tipo de resultado y cuándo hay que consultarlo con el médico?"
        }
        (AdviceTopic::Symptoms, Lang::Es) => {
            "¿Cuándo son estos síntomas motivo para ver al médico y cuáles son las señales de alarma?"
        }
        (AdviceTopic::Individual, Lang::Es) => {
            "¿Qué debe saber alguien en una situación parecida y cómo consigue una cita con un especialista?"
        }
    }
}

/// The default redirect reply for personal-advice questions (each institution sets its own).
pub const REDIRECT_REPLY: &str = "Thanks for your question. We can't advise on anyone's individual care here, \
     but our specialist may answer the general question on air. Please contact your own clinician about your situation.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    #[test]
    fn individual_requests_are_flagged_with_a_general_rewording() {
        let hit = detect(&fold("should I stop my metformin before surgery?"), Lang::En).unwrap();
        assert_eq!(hit.topic, AdviceTopic::Medication);
        assert!(hit.suggested_text.starts_with("What should people know"));
        let hit =
            detect(&fold("mis resultados salieron con el colesterol alto, qué significa"), Lang::Es).unwrap();
        assert_eq!(hit.topic, AdviceTopic::Results);
        assert!(hit.suggested_text.starts_with('¿'));
    }

    #[test]
    fn general_questions_are_not_personal_advice() {
        for t in [
            "what foods lower cholesterol?",
            "how often should adults get a colonoscopy",
            "my mom has diabetes",
        ] {
            assert_eq!(detect(&fold(t), Lang::En), None, "{t}");
        }
    }
}
