package atomsim

// seedPlans are the demo agents. Names are unique; people are fictional.
func seedPlans() []seedPlan {
	endCall := obj{"type": "end_call", "name": "end_call", "description": "End the call once the caller has nothing else."}
	supportTransfer := obj{
		"type": "transfer_call", "name": "transfer_to_human", "description": "Transfer to a human support agent.",
		"transferNumber": "+14155550142",
		"transferOption": obj{"type": "warm_transfer", "privateHandoffOption": obj{"type": "prompt", "prompt": "Summarise the caller's issue and the order number."}},
		"onHoldMusic":    "relaxing_sound", "transferOnlyIfHuman": true, "detectionTimeout": 30,
	}
	lookupOrder := obj{
		"type": "api_call", "name": "lookup_order", "description": "Look up an order by its number.",
		"url": "https://api.northwind-home.example/v2/orders/{{order_number}}", "method": "GET", "timeout": 5000,
		"headersArray":  arr{obj{"key": "Accept", "value": "application/json"}},
		"llmParameters": arr{obj{"name": "order_number", "description": "NW- followed by eight digits", "type": "text", "required": true}},
		"responseVariables": arr{
			obj{"variableName": "order_status", "jsonPath": "$.status"},
			obj{"variableName": "delivery_window", "jsonPath": "$.delivery.window"},
		},
	}
	checkAvail := obj{
		"type": "api_call", "name": "check_availability", "description": "Find open appointment slots.",
		"url": "https://scheduling.brightsmile.example/api/slots", "method": "POST", "timeout": 8000,
		"requestBody": `{"location":"{{location}}","reason":"{{reason}}","after":"{{after}}"}`,
		"llmParameters": arr{
			obj{"name": "location", "description": "Clinic location", "type": "enum", "values": arr{"market_street", "oak_park"}, "required": true},
			obj{"name": "reason", "description": "Reason for the visit", "type": "text", "required": true},
			obj{"name": "after", "description": "Earliest date, YYYY-MM-DD", "type": "text", "required": false},
		},
	}
	book := obj{
		"type": "api_call", "name": "book_appointment", "description": "Book a confirmed slot.",
		"url": "https://scheduling.brightsmile.example/api/appointments", "method": "POST", "timeout": 8000,
		"llmParameters": arr{
			obj{"name": "slot_id", "description": "The slot the caller confirmed", "type": "text", "required": true},
			obj{"name": "patient_name", "description": "Full name", "type": "text", "required": true},
			obj{"name": "date_of_birth", "description": "YYYY-MM-DD", "type": "text", "required": true},
		},
	}
	cancel := obj{
		"type": "api_call", "name": "cancel_appointment", "description": "Cancel an appointment the caller confirmed.",
		"url": "https://scheduling.brightsmile.example/api/appointments/{{appointment_id}}/cancel", "method": "POST", "timeout": 8000,
		"llmParameters": arr{obj{"name": "appointment_id", "description": "Appointment id", "type": "text", "required": true}},
	}
	frontDesk := obj{
		"type": "transfer_call", "name": "transfer_front_desk", "description": "Transfer to the front desk.",
		"transferNumber": "+14155550188", "transferOption": obj{"type": "cold_transfer"}, "onHoldMusic": "uplifting_beats",
	}
	membersDesk := obj{
		"type": "transfer_call", "name": "transfer_member_services", "description": "Transfer disputes and hardship cases.",
		"transferNumber": "+12125550147", "transferOption": obj{"type": "warm_transfer"}, "onHoldMusic": "none",
	}
	promise := obj{
		"type": "api_call", "name": "record_promise_to_pay", "description": "Record the date the member promised to pay.",
		"url": "https://collections.harborcu.example/api/promises", "method": "POST", "timeout": 5000,
		"llmParameters": arr{
			obj{"name": "promised_date", "description": "YYYY-MM-DD, within 14 days", "type": "text", "required": true},
			obj{"name": "amount", "description": "Amount in dollars", "type": "number", "required": true},
		},
	}
	hardship := obj{
		"type": "api_call", "name": "check_hardship_eligibility", "description": "Check the member's eligibility for a hardship plan.",
		"url": "https://collections.harborcu.example/api/hardship/eligibility", "method": "GET", "timeout": 5000,
	}
	metric := func(id, prompt, typ string, choices ...any) obj {
		m := obj{"identifier": id, "dispositionMetricPrompt": prompt, "dispositionMetricType": typ}
		if len(choices) > 0 {
			m["choices"] = arr(choices)
		}
		return m
	}
	supportMetrics := arr{
		metric("issue_resolved", "Was the caller's issue resolved during the call?", "BOOLEAN"),
		metric("issue_category", "What was the call mainly about?", "ENUM", "order_status", "delivery", "return", "product_question", "other"),
	}
	graph := func(budgetFirst bool) obj {
		nodes := arr{
			obj{"id": "greet", "type": "conversation", "prompt": "Greet the caller and confirm they asked for a solar quote."},
			obj{"id": "homeowner", "type": "conversation", "prompt": "Confirm the caller owns the home."},
			obj{"id": "roof", "type": "conversation", "prompt": "Ask about roof age, material and shading."},
			obj{"id": "book", "type": "conversation", "prompt": "Offer two consultation slots and book one."},
			obj{"id": "end", "type": "end_call", "prompt": "Thank the caller and end the call."},
		}
		edges := arr{
			obj{"from": "greet", "to": "homeowner"},
			obj{"from": "homeowner", "to": "roof", "condition": "caller owns the home"},
			obj{"from": "homeowner", "to": "end", "condition": "caller does not own the home"},
			obj{"from": "roof", "to": "book", "condition": "roof is suitable"},
			obj{"from": "roof", "to": "end", "condition": "roof is not suitable"},
		}
		if budgetFirst {
			nodes = append(nodes, obj{"id": "bill", "type": "conversation", "prompt": "Ask for the average monthly electricity bill."})
			edges[1] = obj{"from": "homeowner", "to": "bill", "condition": "caller owns the home"}
			edges = append(edges,
				obj{"from": "bill", "to": "roof", "condition": "bill is 80 dollars or more"},
				obj{"from": "bill", "to": "end", "condition": "bill is below 80 dollars"})
		}
		return obj{"nodes": nodes, "edges": edges}
	}

	return []seedPlan{
		{
			name: "support-concierge", descr: "Northwind Home customer support line", workflowType: "single_prompt",
			creator: "priya.sharma", ageDays: 34,
			initial: obj{
				"singlePromptConfig":      obj{"prompt": supportPromptV1, "tools": arr{endCall, supportTransfer}},
				"firstMessage":            "Hi, thanks for calling Northwind Home. This is Ava. How can I help you today?",
				"slmModel":                "gpt-4.1",
				"language":                obj{"default": "en", "supported": arr{"en"}, "switching": obj{"isEnabled": false}},
				"synthesizer":             obj{"voiceConfig": obj{"model": "waves_lightning_v3_1", "voiceId": "emily", "gender": "female"}, "speed": 1.1},
				"postCallAnalyticsConfig": obj{"dispositionMetrics": supportMetrics},
			},
			versions: []seedVersion{
				{label: "Order lookup tool", by: "priya.sharma", edits: []seedEdit{
					{by: "priya.sharma", cfg: obj{"singlePromptConfig": obj{"prompt": supportPromptV2, "tools": arr{endCall, supportTransfer, lookupOrder}}}},
				}},
				{label: "Hindi support, warmer greeting", descr: "Adds Hindi with automatic switching.", by: "daniel.okafor", edits: []seedEdit{
					{by: "daniel.okafor", cfg: obj{"language": obj{"supported": arr{"en", "hi"}, "switching": obj{"isEnabled": true}}}},
					{by: "maria.gonzalez", cfg: obj{"firstMessage": "Hi there, you've reached Northwind Home. I'm Ava, and I'm happy to help. What can I do for you today?"}},
				}},
			},
			active: 3, activatedBy: "daniel.okafor",
			draft: seedDraft{name: "Refund policy update", by: "maria.gonzalez", edits: []seedEdit{
				{by: "maria.gonzalez", cfg: obj{"singlePromptConfig": obj{"prompt": supportPromptDraft}}},
				{by: "daniel.okafor", cfg: obj{"postCallAnalyticsConfig": obj{"dispositionMetrics": append(append(arr{}, supportMetrics...),
					metric("csat_score", "On a scale of 1 to 5, how satisfied did the caller sound at the end?", "INTEGER"))}}},
			}},
			mainEdits: []seedEdit{
				{by: "priya.sharma", cfg: obj{"synthesizer": obj{"speed": 1.05}}},
			},
		},
		{
			name: "clinic-scheduler", descr: "Brightsmile Dental appointment booking", workflowType: "single_prompt",
			creator: "kenji.watanabe", ageDays: 27,
			initial: obj{
				"singlePromptConfig": obj{"prompt": clinicPromptV1, "tools": arr{endCall, checkAvail, book}},
				"firstMessage":       "Thank you for calling Brightsmile Dental, this is Sam. Are you calling to book a new appointment?",
				"slmModel":           "gpt-4o",
				"synthesizer":        obj{"voiceConfig": obj{"voiceId": "arnav", "gender": "male"}},
				"postCallAnalyticsConfig": obj{"dispositionMetrics": arr{
					metric("appointment_booked", "Was an appointment booked?", "BOOLEAN"),
					metric("appointment_type", "What kind of appointment?", "ENUM", "cleaning", "checkup", "emergency", "consultation", "other"),
				}},
			},
			versions: []seedVersion{
				{label: "Cancellations and reschedules", by: "kenji.watanabe", edits: []seedEdit{
					{by: "kenji.watanabe", cfg: obj{"singlePromptConfig": obj{"prompt": clinicPromptV2, "tools": arr{endCall, checkAvail, book, cancel}}}},
				}},
				{label: "Front-desk transfer", by: "aisha.bello", edits: []seedEdit{
					{by: "aisha.bello", cfg: obj{"singlePromptConfig": obj{"tools": arr{endCall, checkAvail, book, cancel, frontDesk}}}},
					{by: "aisha.bello", cfg: obj{"smartTurnConfig": obj{"isEnabled": true, "waitTimeInSecs": 1.5}}},
				}},
				{label: "Faster speech (experiment)", descr: "Speed 1.35; waiting for approval.", by: "aisha.bello", edits: []seedEdit{
					{by: "aisha.bello", cfg: obj{"synthesizer": obj{"speed": 1.35}, "interruptionBackoffTimer": 1}},
				}},
			},
			active: 3, activatedBy: "kenji.watanabe",
			draft: seedDraft{name: "Insurance questions", by: "aisha.bello", edits: []seedEdit{
				{by: "aisha.bello", cfg: obj{"singlePromptConfig": obj{"prompt": clinicPromptDraft}}},
			}},
		},
		{
			name: "payment-reminders", descr: "Harbor Credit Union past-due reminders", workflowType: "single_prompt",
			creator: "tom.becker", ageDays: 20,
			initial: obj{
				"singlePromptConfig":       obj{"prompt": remindersPromptV1, "tools": arr{endCall, membersDesk, promise}},
				"firstMessage":             "Hello, this is Jordan calling from Harbor Credit Union. May I please speak with the account holder?",
				"language":                 obj{"default": "en", "supported": arr{"en", "es"}, "switching": obj{"isEnabled": true, "minWordsForDetection": 3}},
				"synthesizer":              obj{"voiceConfig": obj{"voiceId": "nyah"}, "speed": 1.0},
				"voiceMailDetectionConfig": obj{"enabled": true, "endText": "Please call Harbor Credit Union back at 1 800 555 0199. Thank you."},
				"waitForUserToSpeakFirst":  true,
				"postCallAnalyticsConfig": obj{"dispositionMetrics": arr{
					metric("promise_to_pay", "Did the member commit to a payment date?", "BOOLEAN"),
					metric("promised_payment_date", "Which date did the member promise?", "DATETIME"),
					metric("call_outcome", "Outcome of the call", "ENUM", "paid", "promise_to_pay", "dispute", "wrong_party", "callback_requested", "refused"),
				}},
			},
			versions: []seedVersion{
				{label: "Compliance disclosure", descr: "Mini-Miranda disclosure up front.", by: "maria.gonzalez", edits: []seedEdit{
					{by: "maria.gonzalez", cfg: obj{
						"singlePromptConfig": obj{"prompt": remindersPromptV2},
						"firstMessage":       "Hello, this is Jordan from Harbor Credit Union. This is an attempt to collect a debt, and any information obtained will be used for that purpose. May I speak with the account holder?",
					}},
				}},
			},
			active: 2, activatedBy: "tom.becker",
			draft: seedDraft{name: "Hardship options", by: "tom.becker", edits: []seedEdit{
				{by: "tom.becker", cfg: obj{"singlePromptConfig": obj{"prompt": remindersPromptDraft, "tools": arr{endCall, membersDesk, promise, hardship}}}},
			}},
		},
		{
			name: "solar-lead-qualifier", descr: "Sunpath Solar inbound lead qualification", workflowType: "workflow_graph",
			creator: "daniel.okafor", ageDays: 12,
			initial: obj{
				"globalPrompt":  leadGlobalPromptV1,
				"workflowGraph": graph(false),
				"firstMessage":  "Hi, this is Riley from Sunpath Solar. You asked for a solar quote on our website. Do you have a couple of minutes?",
				"synthesizer":   obj{"voiceConfig": obj{"voiceId": "emily"}, "speed": 1.25},
				"postCallAnalyticsConfig": obj{"dispositionMetrics": arr{
					metric("qualified", "Is the home a good fit for rooftop solar?", "BOOLEAN"),
					metric("consultation_booked", "Was a consultation booked?", "BOOLEAN"),
				}},
			},
			versions: []seedVersion{
				{label: "Budget question before roof check", by: "daniel.okafor", edits: []seedEdit{
					{by: "daniel.okafor", cfg: obj{"globalPrompt": leadGlobalPromptV2, "workflowGraph": graph(true)}},
				}},
			},
			active: 2, activatedBy: "priya.sharma",
			draft: seedDraft{name: "Spanish callers", by: "kenji.watanabe", edits: []seedEdit{
				{by: "kenji.watanabe", cfg: obj{"globalPrompt": leadGlobalPromptDraft}},
				{by: "kenji.watanabe", cfg: obj{"language": obj{"supported": arr{"en", "es"}, "switching": obj{"isEnabled": true}}}},
			}},
		},
	}
}
