def count_parameters(model):
    return sum(p.numel() for name, p in model.named_parameters() if "weight" in name and p.requires_grad)
