#!/usr/bin/env python3
"""Writes the labelled corpora (*.jsonl) from hand-written comments and slot fillers.

Every comment here was written as an adversarial tester would write real Facebook/Instagram live
comments: typos, emoji, slang, no punctuation, ALL CAPS, Spanish and Spanglish, and many hard
negatives. The fillers (names, numbers, relations) are combined with a fixed seed so the files are
reproducible; re-running this script rewrites them. Labels are what a careful human moderator would
mark, not what the detectors happen to do.
"""
import json, random, os

rnd = random.Random(11)
HERE = os.path.dirname(os.path.abspath(__file__))

def write(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(name, len(rows))

def pick(xs):
    return rnd.choice(xs)

# ---------------------------------------------------------------- private information
NAMES_EN = ["Jake", "Maria", "Brayden", "Aaliyah", "Jaxon", "Kaylee", "Dmitri", "Tasha", "Rowan", "Harper",
            "Mikey", "Brittany", "Dominic", "Keisha", "Colton", "Shay", "Tyrone", "Paisley", "Nolan", "Becca"]
NAMES_ES = ["Sofía", "Mateo", "Xiomara", "Yesenia", "Santiago", "Lupita", "Rodrigo", "Maribel", "Iker", "Ximena",
            "Chuy", "Nayeli", "Emiliano", "Itzel", "Joaquín", "Marisol", "Brenda", "Alejandro", "Fer", "Dulce"]
SURN = ["Lopez", "Johnson", "Ramírez", "Nguyen", "O'Brien", "Smith", "García", "Patel"]
REL_EN = ["son", "daughter", "husband", "wife", "mom", "dad", "grandma", "little boy", "baby girl", "brother", "sister", "bf", "gf", "nephew"]
REL_ES = ["hijo", "hija", "esposo", "esposa", "mamá", "papá", "abuela", "niño", "niña", "hermano", "hermana", "novio", "sobrina", "nieto"]
PHONES = ["555-201-3344", "(312) 555-0199", "555.867.5309", "4155550123", "+1 646 555 0182", "1-917-555-0110", "555 342 9981", "(718)555-2020"]
PHONES_ES = ["612 34 56 78", "+34 699 123 456", "55 1234 5678", "+52 1 55 8765 4321", "612345678", "(55) 4433-2211", "+57 310 555 1234", "644-12-34-56"]
EMAILS = ["maria.g82@gmail.com", "bigjake_77@yahoo.com", "tasha.r@hotmail.com", "k.nguyen@outlook.com", "luz1990@icloud.com", "rodrigo_ramirez@gmail.com"]
URLS = ["www.facebook.com/maria.lopez.77", "instagram.com/jaxon_fit", "https://linktr.ee/tashaheals", "tiktok.com/@lupita.mx", "https://www.gofundme.com/f/help-for-jake"]
MENTIONS = ["@maria_lopez82", "@jake.the.snake", "@nayeli_mx", "@Becca_B", "@dr_rowan_fan", "@chuy.garcia"]
DATES_EN = ["03/14/1985", "7/4/19", "March 3rd", "June 12", "the 21st of October", "12-02-2024", "Jan 5, 1962", "11/30"]
DATES_ES = ["5 de mayo", "12 de marzo de 1990", "03/08/1975", "el 15 de enero", "marzo 3", "21/10/2024", "2 de febrero"]
IDS = ["MRN 00482913", "member id XJ4452991", "ssn 123-45-6789", "policy number 88321-0045", "medicare id 1EG4-TE5-MK73", "account # 77812290"]
IDS_ES = ["expediente 4459812", "número de seguro social 123-45-6789", "póliza 99812-334", "NSS 12345678901", "CURP GARM850314HDFRRL09", "número de afiliación 5512340098"]
ADDR = ["42 Oak Street", "1187 W Maple Ave", "9 Elm St apt 4", "301 Lakeshore Drive", "2200 N Main St", "17 Cedar Ln"]
ADDR_ES = ["Calle Mayor 12", "Avenida Juárez 455", "calle de la Paz 7", "Colonia Roma 88", "Av. Insurgentes 1602", "C/ Alcalá 120"]

def sp(kind, text):
    return {"kind": kind, "text": text}

phi = []
def P(text, lang, spans):
    phi.append({"text": text, "lang": lang, "spans": spans})

en_phone_t = ["call me at {p} pls i need to know about my sugar", "can someone from cardiology call me {p}", "my number is {p} text me the answer",
    "CALL ME {p} ASAP ABOUT MY MOMS MEDS", "pls txt {p} i cant stay on the live 🙏", "dr can u call {p} after the show", "{p} is my cell, my dad needs an appt",
    "reach me on {p} ty", "ok my phone {p} whenever u can", "heart question!! call back {p}"]
es_phone_t = ["llámenme al {p} por favor es sobre mi mamá", "mi cel es {p} mándenme info", "me pueden marcar al {p}? gracias",
    "whatsapp {p} necesito cita con el cardiólogo", "MI NUMERO {p} URGE INFORMACION", "{p} es mi teléfono, mi papá tiene la presión alta",
    "escríbanme al {p} 🙏", "mi número: {p}"]
for t in en_phone_t:
    for _ in range(2):
        p = pick(PHONES); P(t.format(p=p), "en", [sp("phone", p)])
for t in es_phone_t:
    for _ in range(2):
        p = pick(PHONES_ES); P(t.format(p=p), "es", [sp("phone", p)])
en_name_t = ["my {r} {n} has had a cough for 2 weeks is that normal", "Hi my name is {n} and I have afib", "I'm {n}, 54, what about statins",
    "my {r} {n} keeps getting nosebleeds 😩", "this is {n} from chicago, question about my heart", "{n} here, can stress cause palpitations",
    "im {nl} and my bp is always high", "my {r}, {n}, was born with a murmur. will it go away", "hello!! my name's {n} {s} love this channel",
    "great info thank you so much - {n}", "my {r} {n} {s} has diabetes what should she eat", "question from {n}: is coffee bad for the heart"]
es_name_t = ["mi {r} {n} tiene tos desde hace una semana", "hola me llamo {n} y tengo arritmia", "soy {n} de Monterrey, pregunta sobre el colesterol",
    "mi {r} {n} se cansa mucho al caminar 😢", "mi nombre es {n} {s} y tengo 60 años", "mi {r} se llama {n} y nació con un soplo",
    "gracias doctora, saludos {n}", "soy {nl} y me da taquicardia", "mi {r} {n} tiene diabetes que puede comer", "pregunta de {n}: el café es malo para el corazón?"]
for t in en_name_t:
    for _ in range(3):
        n = pick(NAMES_EN); s = pick(SURN); r = pick(REL_EN)
        text = t.format(n=n, r=r, s=s, nl=n.lower())
        full = n + " " + s if "{s}" in t else (n.lower() if "{nl}" in t else n)
        P(text, "en", [sp("name", full)])
for t in es_name_t:
    for _ in range(3):
        n = pick(NAMES_ES); s = pick(SURN); r = pick(REL_ES)
        text = t.format(n=n, r=r, s=s, nl=n.lower())
        full = n + " " + s if "{s}" in t else (n.lower() if "{nl}" in t else n)
        P(text, "es", [sp("name", full)])
for e in EMAILS:
    P(f"email me at {e} the slides pls", "en", [sp("email", e)])
    P(f"mándenme la info a {e} gracias", "es", [sp("email", e)])
P("my email is maria dot lopez at gmail dot com", "en", [sp("email", "lopez at gmail dot com")])
for u in URLS:
    P(f"pls look at my page {u} my story about my heart surgery", "en", [sp("url", u)])
    P(f"vean mi historia {u} 🙏", "es", [sp("url", u)])
for m in MENTIONS:
    P(f"{m} look the dr is talking about your thing", "en", [sp("mention", m)])
    P(f"{m} mira lo que dice la doctora de tu mamá", "es", [sp("mention", m)])
for d in DATES_EN:
    P(f"my surgery is on {d}, what should i eat before", "en", [sp("date", d)])
    P(f"dob {d} and i still get chest flutters", "en", [sp("date", d)])
for d in DATES_ES:
    P(f"mi cita con el cardiólogo es el {d} qué llevo", "es", [sp("date", d.replace('el ', ''))])
    P(f"nací el {d} y tengo colesterol alto", "es", [sp("date", d.replace('el ', ''))])
for i in IDS:
    val = i.split(" ")[-1]
    P(f"my {i} can u check if my results are in", "en", [sp("id_number", val)])
for i in IDS_ES:
    val = i.split(" ")[-1]
    P(f"mi {i}, me pueden decir si ya salieron mis estudios", "es", [sp("id_number", val)])
for a in ADDR:
    P(f"i live at {a} is there a clinic close", "en", [sp("address", a)])
for a in ADDR_ES:
    P(f"vivo en {a}, hay clínica cerca?", "es", [sp("address", a)])
# mixed
P("Hi I'm Tasha, call me 555-201-3344 my son Jaxon has a murmur", "en", [sp("name", "Tasha"), sp("phone", "555-201-3344"), sp("name", "Jaxon")])
P("soy Lupita mi cel 55 1234 5678 mi hija Ximena tiene soplo", "es", [sp("name", "Lupita"), sp("phone", "55 1234 5678"), sp("name", "Ximena")])
P("I was in room 412 at St Mary's on March 3rd and nobody told me my potassium", "en", [sp("address", "room 412"), sp("date", "March 3rd")])
P("MY DAUGHTER KAYLEE HAS SVT CALL 555-201-3344", "en", [sp("name", "KAYLEE"), sp("phone", "555-201-3344")])

# hard negatives: relations and conditions, clinicians, hotlines, readings, doses, years, generic dates
neg_en = ["my mom has diabetes", "my husband had a stent last year", "my son has asthma what inhaler is best", "my dad is 72 and has afib",
    "I'm diabetic and my sugar is 180 after meals", "im so worried about my heart 💔", "I'm pregnant can I take tylenol", "Dr. Smith said my valve is fine",
    "my bp was 160/100 this morning", "i take 500 mg metformin twice a day", "call 911 if you have chest pain right?", "I called 988 last night and it helped",
    "poison control number is 1-800-222-1222 right", "my a1c went from 9.1 to 7.2 🎉", "since 2019 i've had palpitations", "my grandma is 89 and still walks 2 miles",
    "my cholesterol is 240 is that bad", "I walk 10000 steps a day", "we drove 2 hours to see dr patel", "my heart rate goes to 150 when i run",
    "I'M SO GLAD YOU'RE TALKING ABOUT THIS", "my son is 5 and has a murmur", "my daughter, 16, faints when she stands", "my wife keeps snoring is that heart related",
    "Thank you Dr Lee!!", "can babies get high blood pressure", "my brother died of a heart attack at 45, am I at risk", "i'm 34 weeks pregnant and my feet swell",
    "i got my flu shot in october", "what about 2 cups of coffee a day", "my mom is in the hospital rn 😢", "my ldl is 190 hdl 40", "my ef is 35%",
    "I am Hispanic, are we at higher risk", "im a nurse and patients ask me this all the time", "My Son Has Down Syndrome And A Heart Defect",
    "the american heart association says 150 min a week", "is the Mediterranean diet good", "I'm Catholic can I still donate organs lol",
    "my dad takes Eliquis and Lipitor", "she was born at 32 weeks", "i had my surgery in 2021", "my appt is next week", "every Tuesday I do cardio rehab",
    "We love you Dr Garcia!!", "my kid is 3 and has a heart murmur", "ok thanks", "i run 5k 3 times a week", "temp was 38.9 last night",
    "hello from Texas 👋", "greetings from Puerto Rico", "watching from Houston", "my mom says hi", "is 120/80 normal", "I'm 6 months postpartum"]
neg_es = ["mi mamá tiene diabetes", "mi esposo tuvo un infarto hace 2 años", "mi hijo tiene asma qué inhalador es mejor", "mi papá tiene 72 y fibrilación",
    "soy diabética y mi azúcar está en 180", "tengo miedo por mi corazón 💔", "estoy embarazada puedo tomar paracetamol", "el Dr. Ramírez dice que estoy bien",
    "mi presión estaba en 160/100 hoy", "tomo 850 mg de metformina", "hay que llamar al 911 si duele el pecho?", "llamé a la línea 988 y me ayudaron",
    "mi hemoglobina bajó de 9.1 a 7.2 🎉", "desde 2019 tengo palpitaciones", "mi abuela tiene 85 y camina diario", "mi colesterol está en 240 es malo",
    "camino 10000 pasos al día", "manejamos 2 horas para ver a la doctora", "mi hija tiene 16 y se desmaya al pararse", "mi esposo ronca mucho",
    "Gracias doctora!!", "los bebés pueden tener presión alta?", "mi hermano murió de un infarto a los 45", "estoy de 34 semanas y se me hinchan los pies",
    "me vacuné en octubre", "saludos desde Guadalajara 👋", "saludos desde Texas", "es normal 120/80?", "mi hijo tiene 5 años y un soplo", "SOY DIABETICA Y TENGO MIEDO",
    "mi mamá está en el hospital ahorita 😢", "mi LDL está en 190", "soy enfermera y me preguntan esto", "mi papá toma Eliquis", "nació de 32 semanas",
    "me operaron en 2021", "mi cita es la próxima semana", "cada martes voy a rehabilitación", "Dios la bendiga doctora", "mi niño tiene 3 años y soplo",
    "ok gracias", "corro 5 km 3 veces por semana", "tuvo 38.9 de fiebre anoche", "soy hispana tenemos más riesgo?", "mi suegra toma aspirina diario"]
for t in neg_en:
    P(t, "en", [])
for t in neg_es:
    P(t, "es", [])
write("phi.jsonl", phi)

# ---------------------------------------------------------------- emergencies
em = []
def E(text, lang, label):
    em.append({"text": text, "lang": lang, "emergency": label})
pos_en = ["my chest hurts so bad right now and my arm is numb", "CRUSHING CHEST PAIN HELP", "chest pain rn and sweating what do i do", "i have chest pressure and cant catch my breath",
    "my dads face is drooping on one side and hes slurring", "my mom suddenly cant move her left arm and talks funny", "grandpa cant lift his right arm and his smile is crooked",
    "i cant breath and my lips look blue", "my son is choking!!", "my baby is turning blue", "help my husband isnt breathing", "my wife collapsed and wont wake up",
    "the bleeding wont stop after his fall, blood everywhere", "i cut my hand and its gushing", "my toddler swallowed a battery", "my 2yo got into grandmas pills",
    "my son drank bleach", "i think my friend overdosed he wont wake up", "took a whole bottle of tylenol", "my daughter is having a seizure right now",
    "my throat is closing up after eating shrimp", "her lips and tongue are swelling after the bee sting", "worst headache of my life came out of nowhere",
    "my 3 week old has a fever of 100.8", "newborn feels hot and is floppy", "i want to kill myself", "i dont want to live anymore", "im going to end it tonight",
    "i have the pills ready and i'm going to take them all after this stream", "nobody would care if i died. i'm done. goodbye everyone", "i started cutting again",
    "my friend says hes going to kill himself tonight", "i'm suicidal", "been thinking about jumping off the bridge on 5th", "chest pain for the past 20 minutes and it's getting worse",
    "my heart is racing 200 and i feel like passing out pls", "dad fell and isnt responding", "im having a heart attack i think", "my grandma is having a stroke i think",
    "HELP MY SON CANT BREATHE", "chst pain and left arm numb", "my chest feels like an elephant sitting on it", "mom passed out and is not responding", "kms",
    "i wanna die", "i'm better off dead honestly", "my brother overdosed on fentanyl what do i do", "my kid ate rat poison", "hes seizing and wont stop",
    "face went numb and i can't talk right", "my hubby is slurring his words and confused", "my chest is tight and I can't breathe well", "burned my whole arm with boiling oil skin peeling off"]
pos_es = ["me duele mucho el pecho ahorita", "DOLOR EN EL PECHO Y ME SUDA TODO", "mi papá tiene la cara torcida y no puede hablar", "mi mamá no puede mover el brazo izquierdo",
    "no puedo respirar ayuda", "mi bebé tiene los labios morados", "mi hijo se está ahogando", "mi esposo no respira", "mi abuela se desmayó y no despierta",
    "no para de sangrar la herida", "mi niño se tomó unas pastillas de la abuela", "mi hija se tomó el cloro", "creo que es una sobredosis no reacciona",
    "mi hijo está convulsionando", "se le está cerrando la garganta", "se le hinchó la cara y los labios", "el peor dolor de cabeza de mi vida",
    "mi bebé de 2 semanas tiene fiebre", "ya no quiero vivir", "me quiero morir", "voy a quitarme la vida esta noche", "tengo las pastillas y me las voy a tomar todas",
    "quiero matarme", "mi amigo se quiere matar", "me estoy cortando otra vez", "quiero acabar con todo hoy", "mi papá está teniendo un infarto",
    "creo que a mi mamá le está dando un derrame", "me falta el aire y me duele el pecho", "opresión en el pecho desde hace 30 min", "mi tío se desplomó y no responde",
    "ayuda mi hijo no puede respirar", "me duele el pecho y el brazo izquierdo", "mi esposa habla arrastrando las palabras", "le cuesta mucho respirar a mi bebé",
    "se quemó el brazo con agua hirviendo", "sangra mucho y no para", "mi hija tragó una pila", "mejor muerta, ya me despedí de todos", "no quiero despertar mañana"]
neg_en = ["what are the signs of a stroke?", "I read that chest pain can be a sign of anxiety, is that true", "my dad had a stroke last year how do we prevent another",
    "how do you know if chest pain is your heart or gas", "what causes shortness of breath when running", "can anxiety cause chest pain", "how to recognize a heart attack in women",
    "my mom survived a stroke in 2019, what rehab helps", "what should you do if someone is choking", "is it normal to get winded on stairs", "how do i talk to my teen about suicide",
    "my uncle died by suicide, how do families cope", "what's the difference between a heart attack and cardiac arrest", "how long does recovery take after a heart attack",
    "symptoms of a blood clot?", "can you die from a panic attack", "i had chest pain 2 years ago and they said it was reflux", "does a seizure damage the brain",
    "how to stop a nosebleed", "what to do when a baby has a fever", "my chest hurts when i laugh too hard lol 😂", "this talk is killing me 😂", "ugh i'm dying to know the answer",
    "that joke killed me", "i could die for a good cheeseburger", "my heart skipped a beat when she walked in 😍", "anyone else's heart breaking for these families",
    "what is a TIA?", "is aspirin good to prevent heart attacks", "best way to lower stroke risk", "my grandpa had a heart attack in the 90s", "how does narcan work",
    "at what fever should you take a baby to the ER", "what are overdose symptoms", "how common are allergic reactions to shellfish", "can stress cause a stroke",
    "I'm dying of curiosity what's your favorite healthy snack", "STROKE AWARENESS MONTH!! share this", "i'm a stroke survivor, ask me anything",
    "breathing exercises for anxiety?", "why do i get heart palpitations at night", "my husband snores and stops breathing at night, sleep apnea?",
    "suicide prevention hotline is 988 everyone", "can covid cause heart problems", "how much bleeding is normal after a tooth extraction",
    "what are the warning signs of heart failure", "my mom has diabetes", "is chest pain after a workout normal", "when should you call 911 for chest pain"]
neg_es = ["cuáles son los síntomas de un infarto", "leí que el dolor de pecho puede ser ansiedad, es verdad?", "mi papá tuvo un derrame el año pasado cómo evitamos otro",
    "cómo saber si el dolor de pecho es del corazón", "qué causa que me falte el aire al correr", "la ansiedad puede causar dolor de pecho?", "cómo reconocer un infarto en mujeres",
    "qué hacer si alguien se está ahogando", "es normal cansarse al subir escaleras", "cómo hablar con mi hijo sobre el suicidio", "cuánto tarda la recuperación de un infarto",
    "síntomas de un coágulo?", "se puede morir de un ataque de pánico", "tuve dolor de pecho hace 2 años y era reflujo", "cómo parar un sangrado de nariz",
    "qué hacer cuando un bebé tiene fiebre", "me muero de risa con la doctora 😂", "me muero por saber la respuesta", "se me rompe el corazón con estas historias",
    "qué es un AIT?", "la aspirina previene infartos?", "mi abuelo tuvo un infarto en los 90", "con cuánta fiebre hay que llevar al bebé a urgencias",
    "el estrés puede causar un derrame?", "ejercicios de respiración para la ansiedad?", "por qué me dan palpitaciones en la noche", "mi esposo ronca y deja de respirar dormido",
    "la línea 988 también es en español?", "el covid daña el corazón?", "cuáles son las señales de alarma de insuficiencia cardiaca", "mi mamá tiene diabetes",
    "es normal que duela el pecho después de hacer ejercicio", "cuándo hay que llamar al 911 por dolor de pecho", "soy sobreviviente de un derrame, pregúntenme",
    "mes de la prevención del suicidio, compartan", "qué pasa si alguien toma muchas pastillas", "la prevención del infarto empieza con la dieta", "muero de hambre jaja"]
for t in pos_en: E(t, "en", True)
for t in pos_es: E(t, "es", True)
for t in neg_en: E(t, "en", False)
for t in neg_es: E(t, "es", False)
# variants: casing, emoji, typos of the same comments
def variants(rows, n):
    out = []
    for r in [pick(rows) for _ in range(n)]:
        t = r["text"]
        v = pick([t.upper(), t + " 😭😭", t.replace(" ", "  ", 1), t.lower().replace("?", ""), "pls " + t, t + "!!!"])
        out.append({**r, "text": v, "variant": True})
    return out
em += variants(em, 60)
write("emergency.jsonl", em)

# ---------------------------------------------------------------- personal advice
adv = []
def A(text, lang, label):
    adv.append({"text": text, "lang": lang, "advice": label})
pos_en = ["should I stop my metformin before my colonoscopy", "my dr put me on lisinopril 10mg should i double it when my bp is high", "can i take ibuprofen with my eliquis",
    "my a1c came back 7.9 what does it mean", "my ldl is 190 is that bad for me", "my echo says mild mitral regurgitation should i worry", "my potassium was 5.6 is that dangerous",
    "i'm on 40mg atorvastatin and my legs hurt, should i quit", "is it ok if i skip my beta blocker on weekends", "my ekg said sinus brady what does that mean",
    "should my mom go off her blood thinner before her dental work", "i've had a headache for 3 days should i go to the er", "my bp is 150/95 every morning am i at risk",
    "my results say troponin slightly elevated is that normal", "can i drink wine on my heart meds", "i take amlodipine and my ankles swell should i switch",
    "my cardiologist started me on entresto can i still take my potassium pills", "should i get a stent or bypass in my case", "my ejection fraction is 40 what does that mean for me",
    "my heart rate is 48 at rest is that too low", "should i increase my lasix when my legs swell", "my son's cholesterol is 220 at age 10 what should we do",
    "I have had palpitations for 2 weeks do I need a holter", "can dr lee look at my ct scan", "in my case is surgery better", "my labs show high tsh should i take something",
    "should i keep taking aspirin daily at 70", "my glucose was 130 fasting am i diabetic", "is it safe for me to fly 2 weeks after my ablation",
    "my dad takes warfarin can he take turmeric"]
pos_es = ["debo dejar la metformina antes de la operación?", "mi doctor me recetó losartán, puedo tomarlo con ibuprofeno", "mis análisis salieron con el colesterol en 260 qué significa",
    "mi presión salió 150/95 es grave?", "tomo atorvastatina de 40 y me duelen las piernas, la dejo?", "puedo tomar alcohol con mis pastillas del corazón",
    "mi electro salió con bradicardia que significa", "debo suspender la aspirina antes del dentista", "tengo dolor de cabeza desde hace 3 días debo ir a urgencias",
    "mi azúcar en ayunas es 130 soy diabética?", "mi cardiólogo me cambió la dosis, puedo tomar la anterior?", "es normal que mi ritmo sea 48",
    "en mi caso es mejor la cirugía o el stent?", "mi hija tiene el colesterol alto a los 10 años qué hacemos", "puedo dejar el carvedilol si me siento bien",
    "me recetaron warfarina puedo comer espinacas", "mis resultados dicen TSH alta que hago", "debo preocuparme si me hincho de los tobillos con la amlodipina",
    "mi ecografía dice insuficiencia mitral leve qué significa", "la doctora me puede revisar mis estudios?"]
neg_en = ["what foods lower cholesterol naturally", "how often should adults check their blood pressure", "what is a normal resting heart rate", "what does a1c measure",
    "are statins safe long term", "what's the difference between hdl and ldl", "how does metformin work", "is red wine actually good for the heart",
    "what is afib", "how much exercise is enough for heart health", "can kids have high cholesterol", "what are the side effects of beta blockers in general",
    "why do doctors prescribe baby aspirin", "what is an ejection fraction", "what tests check for heart disease", "is intermittent fasting safe for the heart",
    "thank you doctor this was so helpful", "love this series ❤️", "my mom has diabetes", "what questions should I ask my cardiologist", "how do blood thinners work",
    "is coffee bad for the heart", "what is a holter monitor", "how accurate are smartwatches for afib", "what's a healthy bp for seniors",
    "can stress raise blood pressure", "what's the best diet for heart failure patients", "how is a stent placed", "what does a cardiologist do vs a cardiac surgeon",
    "HOW DO I LOWER MY RISK OF HEART DISEASE"]
neg_es = ["qué alimentos bajan el colesterol", "cada cuánto hay que medirse la presión", "cuál es el ritmo cardiaco normal", "qué mide la hemoglobina glucosilada",
    "las estatinas son seguras?", "diferencia entre colesterol bueno y malo", "cómo funciona la metformina", "el vino tinto es bueno para el corazón?", "qué es la fibrilación auricular",
    "cuánto ejercicio es suficiente", "los niños pueden tener colesterol alto?", "para qué sirve la aspirina infantil", "qué estudios detectan enfermedad del corazón",
    "gracias doctora muy útil", "me encanta este programa ❤️", "mi mamá tiene diabetes", "qué le pregunto a mi cardiólogo", "cómo funcionan los anticoagulantes",
    "el café es malo para el corazón?", "qué es un holter", "el estrés sube la presión?", "cuál es la mejor dieta para el corazón", "cómo ponen un stent", "CÓMO BAJO MI RIESGO DE INFARTO"]
for t in pos_en: A(t, "en", True)
for t in pos_es: A(t, "es", True)
for t in neg_en: A(t, "en", False)
for t in neg_es: A(t, "es", False)
adv += variants(adv, 96)
write("advice.jsonl", adv)

# ---------------------------------------------------------------- myths
my = []
def M(text, lang, topic):
    my.append({"text": text, "lang": lang, "myth": topic})
pos = [("do vaccines cause autism", "en", "vaccines and autism"), ("my cousin says the mmr shot gave her son autism is that true", "en", "vaccines and autism"),
    ("VACCINES = AUTISM wake up", "en", "vaccines and autism"), ("las vacunas causan autismo?", "es", "vaccines and autism"), ("mi cuñada dice que la vacuna le dio autismo a su niño", "es", "vaccines and autism"),
    ("can i get antibiotics for my cold", "en", "antibiotics for viral infections"), ("my dr wouldnt give me amoxicillin for the flu why", "en", "antibiotics for viral infections"),
    ("antibiotics cure covid right", "en", "antibiotics for viral infections"), ("sirven los antibióticos para la gripe?", "es", "antibiotics for viral infections"), ("tomé amoxicilina para el resfriado y no se me quita", "es", "antibiotics for viral infections"),
    ("can cinnamon cure diabetes instead of metformin", "en", "natural remedies replacing treatment"), ("my aunt stopped her chemo and uses essential oils to cure her cancer", "en", "natural remedies replacing treatment"),
    ("garlic instead of blood pressure meds?", "en", "natural remedies replacing treatment"), ("el té de canela cura la diabetes, ya dejé la insulina", "es", "natural remedies replacing treatment"),
    ("puedo usar remedio casero en vez de mis pastillas de la presión", "es", "natural remedies replacing treatment"), ("apple cider vinegar to replace my statin??", "en", "natural remedies replacing treatment"),
    ("the flu shot gave me the flu last year", "en", "flu shot gives you the flu"), ("does the flu vaccine give you the flu", "en", "flu shot gives you the flu"),
    ("la vacuna de la gripe te da la gripe", "es", "flu shot gives you the flu"), ("mRNA vaccines change your DNA right?", "en", "vaccines alter DNA"),
    ("la vacuna modifica el ADN?", "es", "vaccines alter DNA"), ("is there a microchip in the vaccine lol for real", "en", "vaccine microchips"),
    ("las vacunas traen chip 5g", "es", "vaccine microchips"), ("statins are poison, big pharma scam", "en", "cholesterol-lowering statins are poison"),
    ("las estatinas son veneno dice mi tío", "es", "cholesterol-lowering statins are poison"), ("going out with wet hair gives you a cold?", "en", "cold weather causes colds"),
    ("salir con el pelo mojado da gripe?", "es", "cold weather causes colds"), ("does cracking your knuckles cause arthritis", "en", "cracking knuckles causes arthritis"),
    ("tronarse los dedos da artritis?", "es", "cracking knuckles causes arthritis"), ("sugar makes my kids hyper", "en", "sugar makes children hyperactive"),
    ("el azúcar los pone hiperactivos?", "es", "sugar makes children hyperactive"), ("heart attacks only affect men right", "en", "heart disease only affects men"),
    ("los infartos son cosa de hombres", "es", "heart disease only affects men"), ("if they operate cancer spreads with the air", "en", "cancer spreads with air or surgery"),
    ("si lo operan el cáncer se riega con el aire", "es", "cancer spreads with air or surgery"), ("drinking chlorine dioxide cures covid", "en", "bleach or chlorine dioxide cures disease"),
    ("el dióxido de cloro cura todo", "es", "bleach or chlorine dioxide cures disease"), ("ivermectin cures covid they just hide it", "en", "ivermectin cures COVID"),
    ("la ivermectina cura el covid", "es", "ivermectin cures COVID"), ("we only use 10% of our brain", "en", "you only use 10% of your brain"),
    ("solo usamos el 10 por ciento del cerebro", "es", "you only use 10% of your brain"), ("eating sugar gives you diabetes right", "en", "diabetes from eating sugar alone"),
    ("comer azúcar da diabetes?", "es", "diabetes from eating sugar alone"), ("i feel fine so my blood pressure can't be high", "en", "high blood pressure always has symptoms"),
    ("me siento bien así que no tengo presión alta", "es", "high blood pressure always has symptoms"), ("my naturopath says turmeric will cure my cancer so i quit chemo", "en", "natural remedies replacing treatment"),
    ("autism from vaccines is proven", "en", "vaccines and autism"), ("why won't doctors give antibiotics for a virus", "en", "antibiotics for viral infections"),
    ("is it true you get the flu from the flu shot", "en", "flu shot gives you the flu"), ("las vacunas del covid alteran tus genes", "es", "vaccines alter DNA")]
for t, l, topic in pos:
    M(t, l, topic)
negs = [("when should my kid get the MMR vaccine", "en"), ("my son has autism, any heart issues linked?", "en"), ("what antibiotics treat strep throat", "en"),
    ("is garlic good for cooking heart healthy meals", "en"), ("where can i get a flu shot", "en"), ("how do mRNA vaccines work", "en"), ("are statins safe for older adults", "en"),
    ("do women have different heart attack symptoms", "en"), ("what is the survival rate of heart surgery", "en"), ("how much sugar per day is ok", "en"),
    ("does cinnamon taste good in oatmeal lol", "en"), ("my cancer is in remission thank god", "en"), ("can diabetics eat fruit", "en"), ("how often should i check my blood pressure", "en"),
    ("is bleach safe to clean a cpap", "en"), ("what vitamins help the heart", "en"), ("can stress cause high blood pressure", "en"), ("my mom has diabetes", "en"),
    ("are essential oils safe around babies", "en"), ("what vaccines do adults need", "en"), ("is it ok to exercise with a cold", "en"), ("cuándo le toca la vacuna triple viral a mi hijo", "es"),
    ("mi hijo tiene autismo y soplo", "es"), ("qué antibiótico es para la infección de garganta", "es"), ("dónde me pongo la vacuna de la gripe", "es"), ("cómo funcionan las vacunas de ARNm", "es"),
    ("las estatinas son seguras para mayores?", "es"), ("los síntomas del infarto son distintos en mujeres?", "es"), ("cuánta azúcar al día está bien", "es"), ("mi mamá tiene diabetes", "es"),
    ("qué vitaminas ayudan al corazón", "es"), ("el estrés sube la presión?", "es"), ("se puede hacer ejercicio con gripe", "es"), ("qué vacunas necesitan los adultos", "es"),
    ("el cloro sirve para limpiar el baño jaja", "es"), ("mi tía ya terminó la quimio 🙏", "es"), ("la canela es buena en el café", "es"), ("el ajo es bueno para cocinar?", "es")]
for t, l in negs:
    M(t, l, None)
my += variants(my, 115)
write("myth.jsonl", my)

# ---------------------------------------------------------------- spam
spm = []
def S(text, lang, label, earlier=None):
    r = {"text": text, "lang": lang, "spam": label}
    if earlier:
        r["author_earlier"] = earlier
    spm.append(r)
pos = [("earn $500 a day from home, check my profile", "en"), ("DM me for bitcoin investment returns 300%", "en"), ("follow me for follow back 💯", "en"),
    ("click the link in my bio for free iphone", "en"), ("www.cheap-meds-online.biz best prices", "en"), ("lose 30 lbs in 2 weeks with this miracle pill", "en"),
    ("crypto trading made me $10k, ask me how", "en"), ("bit.ly/3xYz99 free giveaway", "en"), ("use code HEALTH20 for 20% off my supplements", "en"),
    ("check out my channel pls sub4sub", "en"), ("whatsapp me +1 555 333 2222 for forex signals", "en"), ("http://win-prize.xyz http://win-prize.xyz", "en"),
    ("weight loss gummies link in bio 🔥🔥", "en"), ("I made 2k/day working from home, inbox me", "en"), ("sugar daddy looking for someone to spoil", "en"),
    ("gana dinero desde casa, escríbeme al whatsapp", "es"), ("sígueme y te sigo 💯", "es"), ("visita mi perfil para ofertas", "es"), ("inversión garantizada en criptomoneda", "es"),
    ("bajar de peso rápido con estas pastillas, haz clic", "es"), ("compra ya www.remedios-naturales.shop", "es"), ("oferta limitada t.me/curatodo", "es")]
for t, l in pos:
    S(t, l, True)
rep_en = ["ANSWER MY QUESTION", "why are you ignoring me", "first!!", "hello?? anyone"]
rep_es = ["CONTESTEN MI PREGUNTA", "por qué no me contestan", "hola?? alguien"]
for t in rep_en:
    S(t, "en", True, [t.lower(), t + "!"])
    S(t, "en", False, [t.lower()])
for t in rep_es:
    S(t, "es", True, [t.lower(), t + "!"])
    S(t, "es", False, [t.lower()])
negs_en = ["what foods lower cholesterol", "I read on heart.org that walking helps, true?", "THANK YOU SO MUCH 🙏🙏🙏", "can you share the slides link later?",
    "follow-up question about statins", "my doctor told me to follow a low salt diet", "where can i find the recording", "is there a support group for heart failure",
    "free clinics near houston?", "how much does an echo cost without insurance", "hello from ohio!!", "great show", "lol same", "Dr Lee is the best 💯💯",
    "can you talk about cardiac rehab", "my mom follows you on instagram", "is this live?", "is dark chocolate actually good", "what brand of bp cuff is accurate",
    "ANSWER PLEASE: IS COFFEE OK", "ok", "🙏", "❤️❤️❤️", "amen", "check my understanding: ldl bad hdl good?", "any discount programs for eliquis?",
    "i bought a fitbit, does it detect afib", "where do i sign up for the newsletter"]
negs_es = ["qué alimentos bajan el colesterol", "leí en cdc.gov que caminar ayuda, es cierto?", "MUCHAS GRACIAS 🙏🙏", "pueden compartir el enlace de la grabación?",
    "saludos desde México", "gran programa", "jaja igual", "la doctora es la mejor 💯", "hablen de rehabilitación cardiaca", "mi mamá los sigue en instagram",
    "está en vivo?", "el chocolate amargo es bueno?", "qué baumanómetro es confiable", "ok", "amén", "hay programas de descuento para medicinas?", "bendiciones"]
for t in negs_en:
    S(t, "en", False)
for t in negs_es:
    S(t, "es", False)
spm += variants(spm, 120)
write("spam.jsonl", spm)

# ---------------------------------------------------------------- duplicates
du = []
def D(a, b, lang, label):
    du.append({"a": a, "b": b, "lang": lang, "duplicate": label})
pairs_dup = [("Is coffee bad for your heart?", "is drinking coffee bad for the heart", "en"), ("What foods lower cholesterol?", "which foods help lower cholesterol", "en"),
    ("how much exercise do i need a week", "How much exercise per week do I need?", "en"), ("can stress cause high blood pressure", "does stress cause high blood pressure?", "en"),
    ("are eggs bad for cholesterol", "eggs and cholesterol, bad?", "en"), ("what is afib", "what's afib exactly", "en"), ("is red wine good for the heart", "is red wine actually good for your heart??", "en"),
    ("what are the signs of a heart attack in women", "signs of heart attack in women?", "en"), ("how do statins work", "how do statins actually work", "en"),
    ("is salt that bad for blood pressure", "how bad is salt for blood pressure", "en"), ("can kids have high cholesterol", "can children have high cholesterol", "en"),
    ("what's a normal resting heart rate", "what is normal resting heart rate", "en"), ("is intermittent fasting good for the heart", "intermittent fasting good for heart health?", "en"),
    ("how accurate are apple watches for afib", "is the apple watch accurate for detecting afib", "en"), ("el café es malo para el corazón?", "es malo el café para el corazón", "es"),
    ("qué alimentos bajan el colesterol", "cuáles alimentos ayudan a bajar el colesterol", "es"), ("cuánto ejercicio necesito a la semana", "cuánto ejercicio a la semana se necesita", "es"),
    ("el estrés sube la presión?", "el estrés puede subir la presión arterial", "es"), ("los huevos suben el colesterol?", "el huevo sube el colesterol?", "es"),
    ("qué es la fibrilación auricular", "que es fibrilacion auricular??", "es"), ("el vino tinto es bueno para el corazón", "es bueno el vino tinto para el corazon", "es"),
    ("síntomas de infarto en mujeres", "cuáles son los síntomas de infarto en las mujeres", "es"), ("cómo funcionan las estatinas", "como funcionan las estatinas?", "es"),
    ("la sal es mala para la presión", "que tan mala es la sal para la presion", "es")]
pairs_not = [("Is coffee bad for your heart?", "is coffee bad for your teeth", "en"), ("What foods lower cholesterol?", "what foods raise blood sugar", "en"),
    ("how much exercise do i need a week", "how much sleep do i need a night", "en"), ("can stress cause high blood pressure", "can stress cause hair loss", "en"),
    ("what is afib", "what is a stent", "en"), ("is red wine good for the heart", "is red meat bad for the heart", "en"), ("how do statins work", "how do beta blockers work", "en"),
    ("what are the signs of a heart attack in women", "what are the signs of a stroke in men", "en"), ("is salt bad for blood pressure", "is potassium good for blood pressure", "en"),
    ("can kids have high cholesterol", "can kids have heart murmurs", "en"), ("what's a normal resting heart rate", "what's a normal blood pressure", "en"),
    ("how accurate are apple watches for afib", "how accurate are home bp cuffs", "en"), ("thank you doctor", "what does the doctor recommend for cholesterol", "en"),
    ("el café es malo para el corazón?", "el café es malo para los riñones?", "es"), ("qué alimentos bajan el colesterol", "qué alimentos suben el azúcar", "es"),
    ("cuánto ejercicio necesito a la semana", "cuántas horas debo dormir", "es"), ("el estrés sube la presión?", "el estrés causa caída del cabello?", "es"),
    ("qué es la fibrilación auricular", "qué es un stent", "es"), ("cómo funcionan las estatinas", "cómo funcionan los betabloqueadores", "es"),
    ("síntomas de infarto en mujeres", "síntomas de derrame en hombres", "es"), ("gracias doctora", "qué recomienda la doctora para el colesterol", "es"),
    ("la sal es mala para la presión", "el potasio es bueno para la presión", "es")]
for a, b, l in pairs_dup:
    D(a, b, l, True)
    D(a.upper(), b + " 🙏", l, True)
    D(a, a.lower().rstrip("?") + "??", l, True)
    D("hi dr! " + b, a, l, True)
    D(a + " thanks", b.lower(), l, True)
for a, b, l in pairs_not:
    D(a, b, l, False)
    D(a.upper(), b + " 🙏", l, False)
    D("hi dr! " + b, a, l, False)
    D(a + " thanks", b.lower(), l, False)
write("duplicate.jsonl", du)
