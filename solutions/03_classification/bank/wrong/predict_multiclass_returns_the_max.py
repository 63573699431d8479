def predict_multiclass(logits):
    return logits.max(dim=1).values
